import Foundation
import Glibc

/// Writes a POSIX ustar archive of regular files. Member names are given by the caller and stored
/// as plain bytes (no shell, no option parsing), cut to 100 bytes.
final class TarWriter {
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
        do { data = try Data(contentsOf: URL(fileURLWithPath: source)) } catch {
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
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(Int(Date().timeIntervalSince1970), at: 136, width: 12)
        put("        ", at: 148, width: 8)
        block[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        let sum = block.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return Data(block)
    }
}
