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

    /// Moves `from` to `to` unless `to` exists. Losing a race is an outcome, not an error.
    ///
    /// With the `link` + `unlink` fallback a crash between the two calls leaves two names for one file
    /// (a duplicate, never a loss); `fsck` reports such pairs.
    public static func rename(_ from: String, _ to: String) throws -> Outcome {
        try rename(Array(from.utf8CString), to)
    }

    /// `rename(_:_:)` of a source given as the exact bytes of its path (NUL-terminated): a name that is not
    /// UTF-8 can't be spelled as a `String`.
    public static func rename(_ from: [CChar], _ to: String) throws -> Outcome {
        let shown = { "\(String(decoding: from.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) → \(to)" }
        if let renameat2 {
            while true {
                if renameat2(atFDCWD, from, atFDCWD, to, renameNoReplace) == 0 { return .moved }
                let e = Glibc.errno
                switch e {
                case EINTR: continue
                case ENOENT:
                    // Either the source vanished (a lost race) or the target's directory is missing.
                    if !exists(from) { return .sourceMissing }
                    throw SystemCallError(call: "renameat2", path: shown(), errno: e)
                case EEXIST: return .targetExists
                case EINVAL, ENOSYS, ENOTSUP: return try linkThenUnlink(from, to, shown: shown)
                default: throw SystemCallError(call: "renameat2", path: shown(), errno: e)
                }
            }
        }
        return try linkThenUnlink(from, to, shown: shown)
    }

    /// True when something exists at the path `bytes` (NUL-terminated), a dangling link included.
    private static func exists(_ bytes: [CChar]) -> Bool {
        var st = stat()
        return Glibc.lstat(bytes, &st) == 0
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

    /// A second name `to` for the file `from` (`link(2)`, which never overwrites).
    public static func link(_ from: String, _ to: String) throws -> Outcome {
        try link(Array(from.utf8CString), to, shown: { "\(from) → \(to)" })
    }

    private static func link(_ from: [CChar], _ to: String, shown: () -> String) throws -> Outcome {
        while Glibc.link(from, to) != 0 {
            let e = Glibc.errno
            switch e {
            case EINTR: continue
            case EEXIST: return .targetExists
            case ENOENT where !exists(from): return .sourceMissing
            default: throw SystemCallError(call: "link", path: shown(), errno: e)
            }
        }
        return .moved
    }

    /// The fallback: `link` (which never overwrites) then `unlink` of the source.
    private static func linkThenUnlink(_ from: [CChar], _ to: String, shown: () -> String) throws -> Outcome {
        let linked = try link(from, to, shown: shown)
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
