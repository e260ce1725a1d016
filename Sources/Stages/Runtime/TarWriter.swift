import Foundation
import Glibc
import SpoolKit

/// Writes a POSIX ustar archive of regular files. Member names are given by the caller and stored
/// as plain bytes (no shell, no option parsing), cut to 100 bytes.
final class TarWriter {
    /// The largest file archived (a log larger than this fails the archive rather than filling memory).
    static let largestMember = 1 << 30

    private let path: String
    private let handle: FileHandle

    /// Creates the archive; fails if `path` exists.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StepFailure(code: RuntimeExitCodes.fileWriteError, type: "FileWriteError",
                              details: "\(path): cannot create the tar archive: \(String(cString: strerror(errno)))")
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Appends the file at `source` under the member name `name`.
    func add(file source: String, as name: String) throws {
        let data: Data
        do { data = Data(try SystemCall.readFile(source, limit: Self.largestMember)) } catch {
            throw StepFailure(code: RuntimeExitCodes.fileReadError, type: "FileReadError", details: "\(source): cannot read: \(error)")
        }
        try write(header(name: name, size: data.count))
        try write(data)
        try write(Data(count: (512 - data.count % 512) % 512))
    }

    /// Writes the two zero blocks that end an archive and closes it.
    func finish() throws {
        try write(Data(count: 1024))
        try handle.synchronize()
        try handle.close()
    }

    private func write(_ data: Data) throws {
        do { try handle.write(contentsOf: data) } catch {
            throw StepFailure(code: RuntimeExitCodes.fileWriteError, type: "FileWriteError", details: "\(path): write failed: \(error)")
        }
    }

    /// A 512-byte ustar header for a regular file.
    private func header(name: String, size: Int) -> Data {
        Data(UstarHeader.regularFile(name: name, size: size, modificationTime: Int(Date().timeIntervalSince1970)))
    }
}
