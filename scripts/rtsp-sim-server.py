#!/usr/bin/python3
"""RTSP server for simulated cameras (GStreamer RTSP server through Python GI).

Each mount re-serves a loopback UDP MPEG-TS stream (fed by an ffmpeg process that loops a real clip) as RTSP over
TCP: rtsp://ADDRESS:PORT/NAME. The media is shared between clients, so N viewers of one camera cost one demuxer.

Usage:
  rtsp-sim-server.py --port 8554 --mount cam1=5004 --mount cam2=5006
  rtsp-sim-server.py --port 0 --mounts '{"cam1": 5004, "cam2": 5006}'

--port 0 picks a free TCP port. Once listening, one line is printed on stdout:
  READY port=<bound port> mounts=<comma-separated names>
The process exits on SIGTERM/SIGINT, or when its parent dies (Linux PR_SET_PDEATHSIG), so no server outlives a test.

Run it with the system /usr/bin/python3: other Python builds may lack the `gi` bindings.
"""

import argparse
import ctypes
import json
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PR_SET_PDEATHSIG = 1

# The queue and ignore-pcr=true are both needed: without them frames stall in bursts and timestamps jump
# (checked on this machine, see docs GUIDE "RTSP server for simulated cameras").
PIPELINE = (
    '( udpsrc port={port} caps="video/mpegts,systemstream=(boolean)true" buffer-size=2097152 '
    "! queue ! tsdemux ignore-pcr=true ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)


def die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the parent kills us explicitly anyway


def parse_args(argv):
    p = argparse.ArgumentParser(description="RTSP server for simulated cameras")
    p.add_argument("--port", type=int, default=8554, help="RTSP TCP port; 0 = any free port (default 8554)")
    p.add_argument("--address", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--mount", action="append", default=[], metavar="NAME=UDP_PORT", help="repeatable")
    p.add_argument("--mounts", help='JSON object {"name": udpPort, ...}')
    a = p.parse_args(argv)
    mounts = {}
    if a.mounts:
        for name, port in json.loads(a.mounts).items():
            mounts[str(name)] = int(port)
    for m in a.mount:
        name, _, port = m.partition("=")
        if not name or not port.isdigit():
            p.error(f"bad --mount {m!r}, expected NAME=UDP_PORT")
        mounts[name] = int(port)
    if not mounts:
        p.error("no mounts given")
    for name in mounts:
        if not name or "/" in name or not all(c.isalnum() or c in "_.-" for c in name):
            p.error(f"bad mount name {name!r}: letters, digits, _ . - only")
    return a.address, a.port, mounts


def main(argv) -> int:
    die_with_parent()
    address, port, mounts = parse_args(argv)
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(address)
    server.set_service(str(port))
    points = server.get_mount_points()
    for name, udp_port in mounts.items():
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(PIPELINE.format(port=udp_port))
        factory.set_shared(True)
        points.add_factory("/" + name, factory)

    loop = GLib.MainLoop()
    try:
        server.attach(None)
    except GLib.Error as e:
        print(f"cannot listen on {address}:{port}: {e.message}", file=sys.stderr, flush=True)
        return 2
    bound = server.get_bound_port()
    if bound <= 0:
        print(f"cannot listen on {address}:{port}", file=sys.stderr, flush=True)
        return 2

    def quit_loop(*_args):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, quit_loop)
    # Belt and braces for non-Linux or a parent that exec'd: stop when re-parented.
    parent = os.getppid()
    GLib.timeout_add_seconds(1, lambda: GLib.SOURCE_CONTINUE if os.getppid() == parent else quit_loop())

    print(f"READY port={bound} mounts={','.join(mounts)}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
