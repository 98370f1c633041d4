/** A sub-command of `ioc-vision`. `run` resolves to the process exit code. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** Stable error for bad command-line input (exit code 2). */
export class UsageError extends Error {
  readonly code = 'IOCV_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
