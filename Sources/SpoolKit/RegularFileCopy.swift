import Glibc

/// Copies a file someone else wrote into a place of ours, as hostile input: the source is opened without following a
/// link or blocking, must be a regular file of exactly the size its describer announced, and lands at the destination
/// by rename of a fsynced temporary (a reader never sees a partial copy).
public enum RegularFileCopy {
    /// Why a copy was refused or failed: the source path and what was wrong.
    public struct Failure: Error, CustomStringConvertible {
        /// The source.
        public var source: String
        /// What was wrong.
        public var reason: String
        public var description: String { "\(source): \(reason)" }
    }

    /// Copies `source` to `destination` (parents created) through `temporary`, a path on the destination's file system
    /// (a spool's `.tmp/…part`, so a copy cut short by a kill is cleaned like every other write in progress). A
    /// destination that exists as a regular file of `expectedSize` bytes is kept (a replay after a crash).
    public static func copy(from source: String, to destination: String, through temporary: String, expectedSize: Int) throws(Failure) {
        func fail(_ reason: String) -> Failure { Failure(source: source, reason: reason) }
        if let existing = try? SystemCall.lstat(destination), (existing.st_mode & S_IFMT) == S_IFREG, Int(existing.st_size) == expectedSize {
            return
        }
        let input = Glibc.open(source, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else {
            throw fail(errno == ELOOP ? "is a symbolic link; expected a regular file" : "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { _ = Glibc.close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw fail("cannot stat: \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw fail("is not a regular file") }
        guard Int(info.st_size) == expectedSize else { throw fail("holds \(info.st_size) bytes; its document announced \(expectedSize)") }
        let parent = String(destination[..<(destination.lastIndex(of: "/") ?? destination.startIndex)])
        do { try SystemCall.makeDirectories(parent) } catch { throw fail("cannot create \(parent): \(error)") }
        let output = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw fail("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var ok = false
        defer {
            _ = Glibc.close(output)
            if !ok { _ = Glibc.unlink(temporary) }
        }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var copied = 0
        while true {
            let n = Glibc.read(input, buffer, chunk)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw fail("read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            copied += n
            guard copied <= expectedSize else { throw fail("grew past the \(expectedSize) bytes announced while it was copied") }
            var done = 0
            while done < n {
                let w = Glibc.write(output, buffer + done, n - done)
                if w < 0 {
                    if errno == EINTR { continue }
                    throw fail("write \(temporary): \(String(cString: strerror(errno)))")
                }
                done += w
            }
        }
        guard copied == expectedSize else { throw fail("holds \(copied) bytes; its document announced \(expectedSize)") }
        guard fsync(output) == 0 else { throw fail("fsync \(temporary): \(String(cString: strerror(errno)))") }
        guard Glibc.rename(temporary, destination) == 0 else { throw fail("rename into \(destination): \(String(cString: strerror(errno)))") }
        ok = true
    }
}

extension Spool {
    /// Copies a file someone else wrote to `destination` inside this spool (`RegularFileCopy`), through a temporary in
    /// the spool's `.tmp/`, so a copy cut short by a kill is cleaned up like every other write in progress.
    public func copyRegularFile(from source: String, to destination: String, expectedSize: Int) throws(RegularFileCopy.Failure) {
        try RegularFileCopy.copy(from: source, to: destination, through: temporaryDirectory + "/" + Spool.temporaryFileName(),
                                 expectedSize: expectedSize)
    }
}
