#!/usr/bin/python3
"""Runs a systemd service unit under an approximation of its sandbox.

For tests on machines where systemd is not PID 1 (containers, CI), so the
service's start-up, readiness, reload and stop can be checked under the
unit's restrictions without systemd:

    run_unit.py UNIT_FILE

Run it as root inside a private mount namespace (unshare -m), because it
remounts the file system. It prints one line per event on stdout:

    unit: main pid N
    unit: notify READY=1           (a notification from the main process)
    unit: reload                   (after SIGHUP: ExecReload ran)
    unit: main process exited, code=exited, status=0

SIGHUP runs ExecReload; SIGTERM stops the service as KillMode= says, then
kills what is left after TimeoutStopSec. The exit status is the main
process's (128 + signal if it was killed).

What it applies, as systemd 252 does, from the [Service] section:
User=, Group=, UMask=, CapabilityBoundingSet= (empty only),
NoNewPrivileges=, ProtectSystem=strict, ProtectHome=yes, PrivateTmp=,
PrivateDevices= (a minimal /dev), ProtectProc= and ProcSubset= (a new
/proc), StateDirectory=, RuntimeDirectory=, ConfigurationDirectory=,
ReadWritePaths=, the seccomp filters of SystemCallFilter= (allow lists,
@default implied, groups expanded with `systemd-analyze syscall-filter`,
the default action SIGSYS), SystemCallArchitectures=native,
MemoryDenyWriteExecute=, RestrictAddressFamilies=, RestrictNamespaces=yes,
LockPersonality= and RestrictRealtime=, Type=notify with NotifyAccess=main,
ExecStartPre=, ExecStart=, ExecReload= and KillMode=.

What it does not apply: PrivateUsers= (no user namespace), ProtectHostname=,
ProtectClock= (not used by the unit this is written for), cgroup settings
(DevicePolicy=, IPAddressDeny=, limits), RestrictSUIDSGID=, KeyringMode=,
RemoveIPC= and restarts. It is a test harness, not a service manager.
"""
import ctypes
import errno
import os
import pwd
import grp
import select
import shlex
import signal
import socket
import struct
import subprocess
import sys
import time

import seccomp

libc = ctypes.CDLL(None, use_errno=True)
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
NOTIFY_PATH = "/run/esd-unit-notify.sock"


def say(msg):
    print("unit: " + msg, flush=True)


def die(msg):
    print("run_unit.py: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def parse_unit(path):
    """{section: {key: [values in order]}}; continuation lines joined."""
    sections, cur, pending = {}, None, ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = pending + raw.rstrip("\n")
            pending = ""
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            s = line.strip()
            if not s or s[0] in "#;":
                continue
            if s.startswith("[") and s.endswith("]"):
                cur = sections.setdefault(s[1:-1], {})
                continue
            if cur is None or "=" not in s:
                die(f"{path}: cannot parse '{s}'")
            k, v = s.split("=", 1)
            cur.setdefault(k.strip(), []).append(v.strip())
    return sections


def last(svc, key, default=""):
    v = svc.get(key)
    return v[-1] if v else default


def boolean(svc, key, default=False):
    v = last(svc, key, None)
    if v is None or v == "":
        return default
    return v.lower() in ("1", "yes", "true", "on")


def seconds(v, default):
    if not v:
        return default
    v = v.strip()
    if v.endswith("min"):
        return float(v[:-3]) * 60
    if v.endswith("ms"):
        return float(v[:-2]) / 1000
    if v.endswith("s"):
        return float(v[:-1])
    return float(v)


# ---- system call groups ----------------------------------------------------

def syscall_groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"],
                         capture_output=True, text=True, check=True).stdout
    groups, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = groups.setdefault(line.split()[0], [])
        elif not line.strip():
            cur = None
        elif cur is not None and not line.strip().startswith("#"):
            cur.append(line.strip())
    return groups


def expand(names, groups, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if n.startswith("@"):
            if n in seen:
                continue
            seen.add(n)
            if n not in groups:
                die(f"unknown system call group {n}")
            out |= expand(groups[n], groups, seen)
        else:
            out.add(n)
    return out


def syscall_allow_list(svc):
    """The unit's SystemCallFilter= as one allow list, or None."""
    groups = syscall_groups()
    allow = None
    for val in svc.get("SystemCallFilter", []):
        if val == "":
            allow = None
            continue
        inv = val.startswith("~")
        items = val[1:].split() if inv else val.split()
        if any(":" in i for i in items):
            die("SystemCallFilter= with an errno suffix is not supported")
        if allow is None:
            if inv:
                die("deny-list SystemCallFilter= is not supported")
            allow = expand(["@default"], groups)
        if inv:
            allow -= expand(items, groups)
        else:
            allow |= expand(items, groups)
    return allow


def add_rule(f, action, name, *args):
    try:
        f.add_rule(action, name, *args)
    except (RuntimeError, ValueError, OSError):
        pass  # not a system call of this architecture


# ---- the child: sandbox, then exec ------------------------------------------

def load_filters(svc, allow):
    """Loads the seccomp filters in the order systemd's executor does,
    the system call allow list last."""
    families = last(svc, "RestrictAddressFamilies")
    if families:
        fams = {getattr(socket, a) for a in families.split()}
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        # Families are small numbers: refuse every other one up to AF_MAX.
        for fam in range(0, 64):
            if fam not in fams:
                add_rule(f, seccomp.ERRNO(errno.EAFNOSUPPORT), "socket",
                         seccomp.Arg(0, seccomp.EQ, fam))
        f.load()
    if boolean(svc, "MemoryDenyWriteExecute"):
        wx = 0x2 | 0x4  # PROT_WRITE | PROT_EXEC
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        add_rule(f, seccomp.ERRNO(errno.EPERM), "mmap",
                 seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
        add_rule(f, seccomp.ERRNO(errno.EPERM), "mprotect",
                 seccomp.Arg(2, seccomp.MASKED_EQ, 0x4, 0x4))
        add_rule(f, seccomp.ERRNO(errno.EPERM), "pkey_mprotect",
                 seccomp.Arg(2, seccomp.MASKED_EQ, 0x4, 0x4))
        add_rule(f, seccomp.ERRNO(errno.EPERM), "shmat",
                 seccomp.Arg(2, seccomp.MASKED_EQ, 0o100000, 0o100000))
        f.load()
    if last(svc, "RestrictNamespaces").lower() in ("yes", "true", "1", "on"):
        newns = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | \
            0x10000000 | 0x20000000 | 0x40000000 | 0x00000080
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        add_rule(f, seccomp.ERRNO(errno.EPERM), "unshare")
        add_rule(f, seccomp.ERRNO(errno.EPERM), "setns")
        for bit in range(32):
            if newns & (1 << bit):
                add_rule(f, seccomp.ERRNO(errno.EPERM), "clone",
                         seccomp.Arg(0, seccomp.MASKED_EQ, 1 << bit, 1 << bit))
        # clone3's flags are in memory, out of seccomp's reach: systemd
        # answers ENOSYS so that glibc falls back to clone().
        add_rule(f, seccomp.ERRNO(errno.ENOSYS), "clone3")
        f.load()
    if boolean(svc, "LockPersonality"):
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        add_rule(f, seccomp.ERRNO(errno.EPERM), "personality",
                 seccomp.Arg(0, seccomp.NE, 0))
        f.load()
    if boolean(svc, "RestrictRealtime"):
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for pol in (1, 2, 6):  # SCHED_FIFO, SCHED_RR, SCHED_DEADLINE
            add_rule(f, seccomp.ERRNO(errno.EPERM), "sched_setscheduler",
                     seccomp.Arg(1, seccomp.EQ, pol))
        f.load()
    if allow is not None:
        errno_name = last(svc, "SystemCallErrorNumber")
        action = seccomp.ERRNO(getattr(errno, errno_name)) if errno_name \
            else seccomp.KILL_PROCESS
        f = seccomp.SyscallFilter(defaction=action)
        # Implicitly allowed by systemd, whatever the list says.
        for name in sorted(allow | {"execve", "exit", "exit_group",
                                    "rt_sigreturn", "getrlimit"}):
            add_rule(f, seccomp.ALLOW, name)
        f.load()


def child(argv, svc, ident, env, allow):
    try:
        for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # IgnoreSIGPIPE=yes
        os.setsid()
        fd = os.open("/dev/null", os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
        os.umask(int(last(svc, "UMask", "0022"), 8))
        os.chdir(last(svc, "WorkingDirectory", "/"))
        caps = svc.get("CapabilityBoundingSet")
        if caps is not None:
            if caps[-1] != "":
                raise SystemExit("only an empty CapabilityBoundingSet= is supported")
            for cap in range(64):
                if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and \
                        ctypes.get_errno() != errno.EINVAL:
                    raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")
        uid, gid, _ = ident
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        # systemd implies NoNewPrivileges= for a system call filter run
        # without CAP_SYS_ADMIN.
        if boolean(svc, "NoNewPrivileges") or allow is not None:
            if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
        load_filters(svc, allow)
        os.execve(argv[0], argv, env)
    except BaseException as e:  # pylint: disable=broad-except
        os.write(2, f"run_unit.py: cannot start {argv[0]}: {e}\n".encode())
    os._exit(203)  # systemd's EXIT_EXEC


# ---- the parent: mounts, notifications, signals ------------------------------

def mount(*args):
    subprocess.run(["mount", *args], check=True)


def setup_mounts(svc, ident):
    uid, gid, _ = ident
    mount("--make-rprivate", "/")
    rw = []
    if boolean(svc, "PrivateTmp"):
        for d in ("/tmp", "/var/tmp"):
            mount("-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmpfs", d)
            rw.append(d)
    if last(svc, "ProtectHome").lower() in ("yes", "true", "1", "on"):
        for d in ("/home", "/root", "/run/user"):
            if os.path.isdir(d):
                mount("-t", "tmpfs", "-o", "ro,mode=000,nosuid,nodev,noexec",
                      "tmpfs", d)
    if boolean(svc, "PrivateDevices"):
        stage = "/run/esd-unit-dev"
        os.makedirs(stage, exist_ok=True)
        mount("-t", "tmpfs", "-o", "mode=755,nosuid,noexec", "tmpfs", stage)
        for n in ("null", "zero", "full", "random", "urandom", "tty"):
            open(f"{stage}/{n}", "w").close()
            mount("--bind", f"/dev/{n}", f"{stage}/{n}")
        for d in ("shm", "pts"):
            os.makedirs(f"{stage}/{d}")
        mount("-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmpfs", f"{stage}/shm")
        for n, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                          ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            os.symlink(target, f"{stage}/{n}")
        mount("--move", stage, "/dev")
        rw.append("/dev/shm")
    proc_opts = []
    if last(svc, "ProtectProc") in ("invisible", "noaccess", "ptraceable"):
        proc_opts.append("hidepid=" + last(svc, "ProtectProc"))
    if last(svc, "ProcSubset") == "pid":
        proc_opts.append("subset=pid")
    if proc_opts:
        mount("-t", "proc", "-o", ",".join(proc_opts + ["nosuid,nodev,noexec"]),
              "proc", "/proc")
    for key, base, mode_key in (("StateDirectory", "/var/lib", "StateDirectoryMode"),
                                ("RuntimeDirectory", "/run", "RuntimeDirectoryMode"),
                                ("ConfigurationDirectory", "/etc", None)):
        for name in " ".join(svc.get(key, [])).split():
            path = os.path.join(base, name)
            os.makedirs(path, exist_ok=True)
            if mode_key:
                os.chown(path, uid, gid)
                os.chmod(path, int(last(svc, mode_key, "0755"), 8))
                rw.append(path)
    rw += " ".join(svc.get("ReadWritePaths", [])).split()
    return rw


def protect_system(svc, rw):
    ps = last(svc, "ProtectSystem").lower()
    if ps == "strict":
        mount("-o", "remount,bind,ro=recursive", "/")
        for p in rw:
            p = p.lstrip("-")
            if os.path.exists(p):
                mount("--bind", p, p)
                mount("-o", "remount,bind,rw", p)
        # API file systems are left to the other settings, as in systemd.
        mount("-o", "remount,bind,rw", "/proc")
    elif ps not in ("", "no", "false"):
        die(f"ProtectSystem={ps} is not supported")


def exec_line(v):
    """ExecStart= value without systemd's prefixes; (ignore_failure, argv)."""
    ignore = False
    while v and v[0] in "-@:+!":
        if v[0] != "-":
            die(f"the Exec prefix '{v[0]}' is not supported")
        ignore = True
        v = v[1:]
    return ignore, shlex.split(v)


def descendants(root):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def main():
    if len(sys.argv) != 2:
        die("usage: run_unit.py UNIT_FILE")
    if os.geteuid() != 0:
        die("must run as root, in a private mount namespace")
    unit = parse_unit(sys.argv[1])
    svc = unit.get("Service", {})
    if last(svc, "Type", "simple") not in ("notify", "simple", "exec"):
        die("only Type=notify, simple and exec are supported")
    if last(svc, "SystemCallArchitectures") not in ("", "native"):
        die("only SystemCallArchitectures=native is supported")
    user = last(svc, "User", "root")
    pw = pwd.getpwnam(user)
    gid = grp.getgrnam(last(svc, "Group")).gr_gid if last(svc, "Group") else pw.pw_gid
    ident = (pw.pw_uid, gid, pw)
    allow = syscall_allow_list(svc)
    notify = last(svc, "Type") == "notify"

    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    rw = setup_mounts(svc, ident)

    sock = None
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "USER": pw.pw_name, "LOGNAME": pw.pw_name, "HOME": pw.pw_dir,
        "SHELL": pw.pw_shell,
        "INVOCATION_ID": os.urandom(16).hex(),
    }
    for key, base, var in (("StateDirectory", "/var/lib", "STATE_DIRECTORY"),
                           ("RuntimeDirectory", "/run", "RUNTIME_DIRECTORY"),
                           ("ConfigurationDirectory", "/etc", "CONFIGURATION_DIRECTORY")):
        names = " ".join(svc.get(key, [])).split()
        if names:
            env[var] = ":".join(os.path.join(base, n) for n in names)
    if notify:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if os.path.exists(NOTIFY_PATH):
            os.unlink(NOTIFY_PATH)
        sock.bind(NOTIFY_PATH)
        os.chmod(NOTIFY_PATH, 0o777)  # the service user sends to it
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        env["NOTIFY_SOCKET"] = NOTIFY_PATH
    protect_system(svc, rw)

    def spawn(argv, extra=None):
        pid = os.fork()
        if pid == 0:
            if sock is not None:
                sock.close()
            e = dict(env)
            e.update(extra or {})
            child(argv, svc, ident, e, allow)
        return pid

    for v in svc.get("ExecStartPre", []):
        ignore, argv = exec_line(v)
        _, st = os.waitpid(spawn(argv), 0)
        if not ignore and st != 0:
            say(f"ExecStartPre failed: {' '.join(argv)} (wait status {st})")
            return 1
    _, argv = exec_line(last(svc, "ExecStart"))
    main_pid = spawn(argv)
    say(f"main pid {main_pid}")

    events = []
    signal.signal(signal.SIGHUP, lambda *_: events.append("reload"))
    signal.signal(signal.SIGTERM, lambda *_: events.append("stop"))
    signal.signal(signal.SIGINT, lambda *_: events.append("stop"))
    signal.signal(signal.SIGCHLD, lambda *_: None)
    start_deadline = time.monotonic() + seconds(last(svc, "TimeoutStartSec"), 90)
    ready = not notify
    stop_deadline = None
    status = None

    while True:
        # Reap: the main process, and whatever the subreaper inherited.
        while True:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                break
            if pid == main_pid:
                if os.WIFEXITED(st):
                    status = os.WEXITSTATUS(st)
                    say(f"main process exited, code=exited, status={status}")
                else:
                    status = 128 + os.WTERMSIG(st)
                    say(f"main process exited, code=killed, signal={os.WTERMSIG(st)}")
        if status is not None:
            for p in descendants(os.getpid()):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return status
        while events:
            ev = events.pop(0)
            if ev == "reload":
                for v in svc.get("ExecReload", []):
                    _, rargv = exec_line(v.replace("$MAINPID", str(main_pid)))
                    _, st = os.waitpid(spawn(rargv, {"MAINPID": str(main_pid)}), 0)
                    say(f"reload ({' '.join(rargv)}: wait status {st})")
            elif ev == "stop" and stop_deadline is None:
                mode = last(svc, "KillMode", "control-group")
                targets = [main_pid] if mode == "mixed" else \
                    [main_pid] + descendants(main_pid)
                for p in targets:
                    try:
                        os.kill(p, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                stop_deadline = time.monotonic() + \
                    seconds(last(svc, "TimeoutStopSec"), 90)
                say(f"stop (SIGTERM to {'the main process' if mode == 'mixed' else 'all'})")
        if stop_deadline is not None and time.monotonic() > stop_deadline:
            say("stop timed out: SIGKILL")
            for p in [main_pid] + descendants(main_pid):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            stop_deadline = time.monotonic() + 5
        if not ready and time.monotonic() > start_deadline:
            say("start timed out: no READY=1")
            events.append("stop")
            ready = True
        try:
            r, _, _ = select.select([sock] if sock else [], [], [], 0.1)
        except InterruptedError:
            continue
        if sock in r:
            data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
            sender = None
            for level, typ, payload in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                    sender = struct.unpack("iII", payload[:12])[0]
            access = last(svc, "NotifyAccess", "main")
            if access == "main" and sender != main_pid:
                say(f"notification from pid {sender} ignored (NotifyAccess=main)")
                continue
            for item in data.decode(errors="replace").split("\n"):
                if item:
                    say(f"notify {item}")
                    if item == "READY=1":
                        ready = True


if __name__ == "__main__":
    sys.exit(main())
