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
        if let renameat2 {
            while true {
                if renameat2(atFDCWD, from, atFDCWD, to, renameNoReplace) == 0 { return .moved }
                let e = Glibc.errno
                switch e {
                case EINTR: continue
                case ENOENT:
                    // Either the source vanished (a lost race) or the target's directory is missing.
                    if !SystemCall.exists(from) { return .sourceMissing }
                    throw SystemCallError(call: "renameat2", path: "\(from) → \(to)", errno: e)
                case EEXIST: return .targetExists
                case EINVAL, ENOSYS, ENOTSUP: return try linkThenUnlink(from, to)
                default: throw SystemCallError(call: "renameat2", path: "\(from) → \(to)", errno: e)
                }
            }
        }
        return try linkThenUnlink(from, to)
    }

    /// The fallback: `link` (which never overwrites) then `unlink` of the source.
    static func linkThenUnlink(_ from: String, _ to: String) throws -> Outcome {
        while Glibc.link(from, to) != 0 {
            let e = Glibc.errno
            switch e {
            case EINTR: continue
            case EEXIST: return .targetExists
            case ENOENT where !SystemCall.exists(from): return .sourceMissing
            default: throw SystemCallError(call: "link", path: "\(from) → \(to)", errno: e)
            }
        }
        if Glibc.unlink(from) != 0 {
            let e = Glibc.errno
            if e != ENOENT { throw SystemCallError(call: "unlink", path: from, errno: e) }
        }
        return .moved
    }
}
