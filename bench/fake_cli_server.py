"""The fake `pulumi` of tests/engine as a fork server, so that a benchmark measures latency, not Python start-up.

Started as a process, a CLI call costs the fake about 40 ms of CPU (interpreter start, imports):
20 of them at once on two cores add about 0.4 s to every round of a wave, whatever the engine does.
A real CLI's own start-up is part of the latency the benchmark injects. So here the fake's code is
compiled and its modules imported once, in this server; each call is a small C client (`pulumi`,
built with the system's C compiler by `build_client`) that sleeps the latency, connects to the
server's Unix socket and hands over its working directory, arguments, environment and its
stdin/stdout/stderr (as file descriptors, SCM_RIGHTS); the server forks, the child runs the fake's
`main` on those descriptors, and the client exits with the child's exit code. The fake records
every call as usual. Not supported (the benchmark needs neither): signals to a running call,
`own_process_group`.

Run (the benchmark does): python -S bench/fake_cli_server.py SOCKET FAKE_SCRIPT
                      or: python bench/fake_cli_server.py SOCKET FAKE_SCRIPT grpc   (CLI after 3.205)
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

CLIENT_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

extern char **environ;

static char *put(char *at, char tag, const char *text) {
    *at++ = tag;
    size_t n = strlen(text) + 1;
    memcpy(at, text, n);
    return at + n;
}

int main(int argc, char **argv) {
    const char *latency = getenv("BENCH_PULUMI_LATENCY");
    double seconds = latency ? atof(latency) : 0.0;
    struct timespec pause = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&pause, NULL);

    size_t size = 4096 + 2;
    for (int i = 1; i < argc; i++) size += strlen(argv[i]) + 2;
    for (char **e = environ; *e; e++) size += strlen(*e) + 2;
    char *payload = malloc(size), *at = payload, cwd[4096];
    if (!payload || !getcwd(cwd, sizeof cwd)) return 254;
    at = put(at, 'C', cwd);
    for (int i = 1; i < argc; i++) at = put(at, 'A', argv[i]);
    for (char **e = environ; *e; e++) at = put(at, 'E', *e);
    unsigned long long length = (unsigned long long)(at - payload);

    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {0};
    address.sun_family = AF_UNIX;
    strncpy(address.sun_path, getenv("BENCH_PULUMI_SOCKET"), sizeof address.sun_path - 1);
    if (connect(s, (struct sockaddr *)&address, sizeof address) < 0) { perror("fake pulumi server"); return 254; }

    int fds[3] = {0, 1, 2};
    char control[CMSG_SPACE(sizeof fds)];
    struct iovec header = {&length, sizeof length};
    struct msghdr message = {0};
    message.msg_iov = &header;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
    if (sendmsg(s, &message, 0) < 0) return 254;
    for (char *p = payload; p < at;) {
        ssize_t sent = write(s, p, (size_t)(at - p));
        if (sent <= 0) return 254;
        p += sent;
    }
    int code = 254;
    if (read(s, &code, sizeof code) != sizeof code) return 254;
    return code;
}
"""


def build_client(directory: Path) -> Path | None:
    """The C client as `directory/pulumi`; None when there is no C compiler."""
    source = directory / "pulumi_client.c"
    source.write_text(CLIENT_SOURCE)
    binary = directory / "pulumi"
    try:
        subprocess.run(["cc", "-O2", "-o", str(binary), str(source)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return binary


def serve(path: str, fake: str, grpc_events: bool) -> None:
    code = compile(Path(fake).read_text(), fake, "exec")
    # what the fake imports, imported before any thread exists (a forked child must not need an import lock)
    import datetime  # noqa: F401
    import json  # noqa: F401
    import signal  # noqa: F401
    import time  # noqa: F401
    import typing  # noqa: F401

    if grpc_events:  # a CLI after 3.205 streams its events over gRPC: the fake then needs grpc (no channel yet)
        import grpc  # noqa: F401
        from pulumi.runtime.proto import events_pb2, events_pb2_grpc  # noqa: F401

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(512)
    while True:
        connection, _ = server.accept()
        threading.Thread(target=handle, args=(connection, code, fake), daemon=True).start()


def handle(connection: socket.socket, code: object, fake: str) -> None:
    header, fds, _, _ = socket.recv_fds(connection, 8, 3)
    length = struct.unpack("<Q", header)[0]
    data = b""
    while len(data) < length:
        chunk = connection.recv(length - len(data))
        if not chunk:
            return
        data += chunk
    fields = [field for field in data.split(b"\0") if field]
    cwd = next(field[1:] for field in fields if field[:1] == b"C")
    args = [field[1:].decode() for field in fields if field[:1] == b"A"]
    env = dict(field[1:].decode().split("=", 1) for field in fields if field[:1] == b"E" and b"=" in field)
    pid = os.fork()
    if pid == 0:  # the call: the client's descriptors, directory, environment and arguments
        try:
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # other calls' pipes: their readers must see EOF
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(env)
            sys.argv = [fake, *args]
            exec(code, {"__name__": "__main__", "__file__": fake})
        finally:
            os._exit(255)
    for fd in fds:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    connection.sendall(struct.pack("<i", os.waitstatus_to_exitcode(status)))
    connection.close()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], grpc_events=len(sys.argv) > 3 and sys.argv[3] == "grpc")
