#if canImport(Glibc)
import Foundation
import Glibc
import SpoolKit
#endif

/// A detached process on this machine, identified by pid plus its start time (so a reused pid is
/// never mistaken for it), as read from `/proc/<pid>/stat`.
public struct LocalProcess: Sendable, Equatable {
    /// Process id; also the process-group and session id (it is started with `setsid`).
    public var pid: Int32
    /// Start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`).
    public var startTime: UInt64

    /// Makes an identity.
    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The state letter and start time of `pid`, or nil when there is no such process.
    public static func stat(_ pid: Int32) -> (state: Character, startTime: UInt64)? {
        guard let bytes = try? SystemCall.readFile("/proc/\(pid)/stat", limit: 4096) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return (state, start)
    }

    /// True while the process exists and is not a zombie.
    public var isAlive: Bool {
        guard let now = LocalProcess.stat(pid) else { return false }
        return now.state != "Z" && now.startTime == startTime
    }

    /// Sends `signal` to the whole process group, if the process is still this one.
    public func signalGroup(_ signal: Int32) {
        if isAlive { _ = Glibc.kill(-pid, signal) }
    }

    /// Kills the job's whole process tree, as a batch system does: the process group and every descendant,
    /// including children that run in a group of their own (corelibs `Process` starts `wm-cmsrun` so), which a
    /// group signal alone leaves running. The tree is stopped first, then walked again, so a child forked
    /// during the walk is caught; then everything gets SIGKILL.
    public func killTree() {
        guard isAlive else { return }
        _ = Glibc.kill(-pid, SIGSTOP)
        for member in Self.descendants(of: pid) { _ = Glibc.kill(member, SIGSTOP) }
        let members = Self.descendants(of: pid)
        _ = Glibc.kill(-pid, SIGKILL)
        for member in members {
            _ = Glibc.kill(-member, SIGKILL)
            _ = Glibc.kill(member, SIGKILL)
        }
    }

    /// Every live descendant of `root` (children, their children, ...), from the parent ids in `/proc/<pid>/stat`.
    static func descendants(of root: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let parent = parentID(of: pid) else { continue }
            children[parent, default: []].append(pid)
        }
        var found: [Int32] = []
        var queue = children[root] ?? []
        while let next = queue.popLast() {
            found.append(next)
            queue += children[next] ?? []
        }
        return found
    }

    /// The parent pid of `pid` (field 4 of `/proc/<pid>/stat`), or nil when there is no such process.
    static func parentID(of pid: Int32) -> Int32? {
        guard let bytes = try? SystemCall.readFile("/proc/\(pid)/stat", limit: 4096) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// glibc's `POSIX_SPAWN_SETSID` (0x80), which the Swift overlay does not export.
    private static let posixSpawnSetSID: Int32 = 0x80

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: CloseFrom? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    /// Starts `/bin/sh script` in a new session (its own process group), stdin from `/dev/null`,
    /// stdout and stderr appended to the given files, default signal dispositions, no inherited
    /// descriptors beyond 0–2.
    public static func spawn(script: String, stdout: String, stderr: String) throws -> LocalProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let addCloseFrom { _ = addCloseFrom(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var allSignals = sigset_t(), noSignals = sigset_t()
        sigfillset(&allSignals)
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(posixSpawnSetSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup(script), nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
        guard rc == 0 else { throw LocalProcessError.spawnFailed(script: script, errno: rc) }
        guard let started = stat(pid) else {
            // Already gone and reaped by someone: record what we can; the exit-code file tells the rest.
            return LocalProcess(pid: pid, startTime: 0)
        }
        return LocalProcess(pid: pid, startTime: started.startTime)
    }

    /// Reaps `pid` if it is our child and has exited (no zombies in a long-running agent). True when
    /// there is nothing left to reap: it was reaped now, or it is not (or no longer) our child.
    @discardableResult
    public static func reapIfExited(_ pid: Int32) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) != 0
    }
}

/// Why a local process could not be started.
public enum LocalProcessError: Error, CustomStringConvertible {
    /// `posix_spawn` of `/bin/sh script` failed with this errno.
    case spawnFailed(script: String, errno: Int32)

    public var description: String {
        switch self {
        case let .spawnFailed(script, errno): return "posix_spawn(/bin/sh \(script)) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}
