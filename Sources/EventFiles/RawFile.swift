import Glibc

/// A file descriptor with errno-checked, EINTR-retrying reads and writes. Errors name the path and
/// the byte offset. Internal: the public surface is the event reader/writer and the checksums.
final class RawFile {
    /// The path the descriptor was opened from (used in every error).
    let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Opens an existing file for reading.
    static func openForReading(_ path: String) throws -> RawFile {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EventFileError.openFailed(path: path, errno: errno) }
        return RawFile(path: path, fd: fd)
    }

    /// Creates a new file for writing; fails with `outputExists` if the path is taken.
    static func createNew(_ path: String) throws -> RawFile {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw EventFileError.outputExists(path: path) }
            throw EventFileError.openFailed(path: path, errno: code)
        }
        return RawFile(path: path, fd: fd)
    }

    /// The file's current size from `fstat`.
    func size() throws -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw EventFileError.readFailed(path: path, offset: 0, errno: errno) }
        return UInt64(info.st_size)
    }

    /// Reads up to `count` bytes into `buffer`; returns how many were read (0 at end of file).
    /// `offset` is only used to name the position in an error.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, offset: UInt64) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw EventFileError.readFailed(path: path, offset: offset, errno: errno)
        }
    }

    /// Writes all `count` bytes at the current position.
    func writeAll(_ buffer: UnsafeRawPointer, count: Int, offset: UInt64) throws {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, buffer + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw EventFileError.writeFailed(path: path, offset: offset + UInt64(done), errno: errno)
            }
            done += n
        }
    }

    /// Writes all bytes at an absolute position without moving the file offset (`pwrite`).
    func writeAll(_ buffer: UnsafeRawPointer, count: Int, at position: UInt64) throws {
        var done = 0
        while done < count {
            let n = Glibc.pwrite(fd, buffer + done, count - done, off_t(position) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw EventFileError.writeFailed(path: path, offset: position + UInt64(done), errno: errno)
            }
            done += n
        }
    }

    /// Flushes the file's data to stable storage.
    func sync(offset: UInt64) throws {
        guard fsync(fd) == 0 else { throw EventFileError.writeFailed(path: path, offset: offset, errno: errno) }
    }

    /// Closes the descriptor; a failing close is reported (it can reveal a lost write on NFS).
    func close(offset: UInt64) throws {
        guard fd >= 0 else { return }
        let result = Glibc.close(fd)
        let code = errno
        fd = -1
        if result != 0 && code != EINTR {
            throw EventFileError.writeFailed(path: path, offset: offset, errno: code)
        }
    }
}
