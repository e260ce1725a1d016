import Glibc

/// A file's identity and change stamps (device, inode, size, modification and change times): every rewrite
/// in the spool replaces a file (a new inode, a new ctime), so an unchanged stamp means unchanged content.
public struct FileStamp: Equatable, Sendable {
    /// The file's identity: device and inode.
    public var device: UInt64, inode: UInt64
    /// Its size in bytes.
    public var size: Int64
    /// Modification and change times, in nanoseconds since the epoch.
    public var modified: Int64, changed: Int64

    /// The stamp of the file at `path` (`lstat`), or nil when it is gone.
    public static func of(_ path: String) throws -> FileStamp? {
        guard let st = try SystemCall.lstat(path) else { return nil }
        return FileStamp(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                         modified: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                         changed: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }

    /// True when `other` is the same file (device and inode), whatever its names.
    public func isSameFile(as other: FileStamp) -> Bool { device == other.device && inode == other.inode }
}
