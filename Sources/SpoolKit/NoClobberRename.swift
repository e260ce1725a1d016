#if canImport(Glibc)
import Glibc
#endif

/// Renames that never overwrite: `renameat2(RENAME_NOREPLACE)`, or `link` + `unlink` where the file
/// system refuses the flag.
///
/// Glibc's Swift overlay does not export `renameat2`, so it is looked up once through `dlsym`.
public enum NoClobberRename {
    private typealias Renameat2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    private static let renameNoReplace: UInt32 = 1
    private static let atFDCWD: Int32 = -100

    private static let renameat2: Renameat2? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: Renameat2.self)
    }()

    /// The result of a no-clobber rename.
    public enum Outcome: Equatable, Sendable {
        /// The source now has the target's name.
        case moved
        /// The source was gone: another process took it first.
        case sourceMissing
        /// Something already has the target's name; the source is untouched.
        case targetExists
    }

    /// How a failed `rename` or `link` is read (`outcome(of:errno:source:target:reading:)`).
    public enum FailureReading: Sendable {
        /// As Postfix's `sane_rename` and `sane_link`: a failure that the reply to a retransmission of a call
        /// that did succeed would give (a network file system can give it) is taken as done. Right when no other
        /// process renames or links the source to the same name: the caller's own temporary file, a claim into
        /// a folder of the claimer's own.
        case sane
        /// Literally: the source gone is a lost race and a name taken is taken, even by the source's own file.
        /// Right where other processes may move the same source to the same name (two claims of one document
        /// into one folder): there the sane reading would tell both `.moved`, and in the `link` + `unlink`
        /// fallback the loser would then remove the winner's name.
        case literal
    }

    /// Which call failed, for `outcome(of:errno:source:target:reading:)`.
    public enum Call: Sendable {
        /// `rename(2)` or `renameat2(2)` (no-clobber or plain).
        case rename
        /// `link(2)`.
        case link
    }

    /// What `lstat` finds at a path: its device and inode (`st_dev`, `st_ino`).
    public struct FileIdentity: Equatable, Sendable {
        /// `st_dev`.
        public let device: UInt64
        /// `st_ino`.
        public let inode: UInt64

        /// An identity of these numbers.
        public init(device: UInt64, inode: UInt64) {
            self.device = device
            self.inode = inode
        }

        /// The identity of what is at `path` (NUL-terminated bytes; links not followed), or nil when nothing is.
        static func of(_ path: [CChar]) -> FileIdentity? {
            var st = stat()
            guard Glibc.lstat(path, &st) == 0 else { return nil }
            return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        }
    }

    /// What a `rename` or `link` from `source` to `target` that returned `errno` (0: it succeeded) did, given what
    /// the two paths hold when it returned (nil: nothing); nil when the failure is an error to report.
    ///
    /// With the `.sane` reading, Postfix's rules for calls a network file system may retransmit after a lost
    /// reply (`sane_rename`, `sane_link`), which change nothing on a local file system when nobody else moves
    /// the source to the same name:
    /// - a `rename` failing with `ENOENT` while the source is gone and the target exists did succeed; with the
    ///   source gone and no target, another process took it first (`.sourceMissing`); with the source still
    ///   there, the target's folder is missing (an error);
    /// - a no-clobber `rename` failing with `EEXIST` found the name taken (`.targetExists`);
    /// - a `link` failing with `EEXIST` while the target is the source's very file (same device and inode) did
    ///   succeed; another file there is `.targetExists`; `ENOENT` with the source gone is `.sourceMissing`.
    ///
    /// The `.literal` reading takes the source gone as `.sourceMissing` and a taken name as `.targetExists`.
    public static func outcome(of call: Call, errno: Int32, source: FileIdentity?, target: FileIdentity?,
                               reading: FailureReading = .sane) -> Outcome? {
        if errno == 0 { return .moved }
        switch (call, errno) {
        case (.rename, ENOENT):
            guard source == nil else { return nil }
            return target != nil && reading == .sane ? .moved : .sourceMissing
        case (.rename, EEXIST):
            return .targetExists
        case (.link, EEXIST):
            if reading == .sane, let source, source == target { return .moved }
            return .targetExists
        case (.link, ENOENT):
            return source == nil ? .sourceMissing : nil
        default:
            return nil
        }
    }

    /// Moves `from` to `to` unless `to` exists. Losing a race is an outcome, not an error.
    ///
    /// A failure that a retransmitted call that did succeed would give counts as done (`outcome(of:…)`); pass
    /// `reading: .literal` where other processes may move the same source to the same name. With the `link` + `unlink` fallback a crash between the two calls leaves two names for one
    /// file (a duplicate, never a loss); `fsck` reports such pairs.
    public static func rename(_ from: String, _ to: String, reading: FailureReading = .sane) throws -> Outcome {
        try rename(Array(from.utf8CString), to, reading: reading)
    }

    /// `rename(_:_:reading:)` of a source given as the exact bytes of its path (NUL-terminated): a name
    /// that is not UTF-8 can't be spelled as a `String`.
    public static func rename(_ from: [CChar], _ to: String, reading: FailureReading = .sane) throws -> Outcome {
        let shown = { "\(String(decoding: from.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) → \(to)" }
        if let renameat2 {
            while true {
                if renameat2(atFDCWD, from, atFDCWD, to, renameNoReplace) == 0 { return .moved }
                let e = Glibc.errno
                switch e {
                case EINTR: continue
                case ENOENT:
                    // The source vanished (a lost race, or a retransmission of a rename that did succeed) or the
                    // target's directory is missing.
                    if let outcome = outcome(of: .rename, errno: e, source: FileIdentity.of(from),
                                             target: FileIdentity.of(Array(to.utf8CString)), reading: reading) {
                        return outcome
                    }
                    throw SystemCallError(call: "renameat2", path: shown(), errno: e)
                case EEXIST: return .targetExists
                case EINVAL, ENOSYS, ENOTSUP: return try linkThenUnlink(from, to, reading: reading, shown: shown)
                default: throw SystemCallError(call: "renameat2", path: shown(), errno: e)
                }
            }
        }
        return try linkThenUnlink(from, to, reading: reading, shown: shown)
    }

    private static let renameExchange: UInt32 = 2

    /// Replaces the content of `target` with the file at `replacement`, only if `target` still exists.
    ///
    /// Uses `renameat2(RENAME_EXCHANGE)`: the two names swap atomically, so a document another process
    /// moved away in the meantime is never re-created; the old content (now at `replacement`) is handed to
    /// `dispose` (unlinked by default). Returns false (and disposes of `replacement`) when `target` was gone.
    /// Where the flag is refused, falls back to a check then `rename` (a small window, documented).
    public static func replaceIfPresent(_ replacement: String, _ target: String,
                                        dispose: (String) -> Void = { _ = Glibc.unlink($0) }) throws -> Bool {
        if let renameat2 {
            while true {
                if renameat2(atFDCWD, replacement, atFDCWD, target, renameExchange) == 0 {
                    dispose(replacement)
                    return true
                }
                let e = Glibc.errno
                switch e {
                case EINTR: continue
                case ENOENT where !SystemCall.exists(target):
                    dispose(replacement)
                    return false
                case EINVAL, ENOSYS, ENOTSUP: break
                default: throw SystemCallError(call: "renameat2(EXCHANGE)", path: "\(replacement) ↔ \(target)", errno: e)
                }
                break
            }
        }
        guard SystemCall.exists(target) else {
            dispose(replacement)
            return false
        }
        try SystemCall.rename(replacement, target)
        return true
    }

    /// A second name `to` for the file `from` (`link(2)`, which never overwrites). A failure with `EEXIST`
    /// while `to` is already that very file is a retransmitted success, taken as done (`outcome(of:…)`).
    public static func link(_ from: String, _ to: String) throws -> Outcome {
        try link(Array(from.utf8CString), to, reading: .sane, shown: { "\(from) → \(to)" })
    }

    private static func link(_ from: [CChar], _ to: String, reading: FailureReading, shown: () -> String) throws -> Outcome {
        while Glibc.link(from, to) != 0 {
            let e = Glibc.errno
            switch e {
            case EINTR: continue
            default:
                if let outcome = outcome(of: .link, errno: e, source: FileIdentity.of(from), target: FileIdentity.of(Array(to.utf8CString)),
                                         reading: reading) {
                    return outcome
                }
                throw SystemCallError(call: "link", path: shown(), errno: e)
            }
        }
        return .moved
    }

    /// The fallback: `link` (which never overwrites) then `unlink` of the source (also when the link was a
    /// retransmitted success).
    private static func linkThenUnlink(_ from: [CChar], _ to: String, reading: FailureReading, shown: () -> String) throws -> Outcome {
        let linked = try link(from, to, reading: reading, shown: shown)
        guard linked == .moved else { return linked }
        return try unlinkLinkedSource(from, to, shown: shown)
    }

    /// The second half of the fallback, after `from` was linked to `to`: unlinking the source decides who took it.
    /// Two processes can both link the same source (each to its own target) before either unlinks it; only one unlink
    /// of a name succeeds, so the other finds the source gone (ENOENT): it lost the race, removes its own link and
    /// reports `sourceMissing` — exactly one claim wins (before: ENOENT was ignored and both claimed the file).
    static func unlinkLinkedSource(_ from: [CChar], _ to: String, shown: () -> String) throws -> Outcome {
        guard Glibc.unlink(from) != 0 else { return .moved }
        let e = Glibc.errno
        guard e == ENOENT else { throw SystemCallError(call: "unlink", path: shown(), errno: e) }
        if Glibc.unlink(to) != 0, Glibc.errno != ENOENT {
            throw SystemCallError(call: "unlink", path: to + " (the losing link of " + shown() + ")", errno: Glibc.errno)
        }
        return .sourceMissing
    }
}
