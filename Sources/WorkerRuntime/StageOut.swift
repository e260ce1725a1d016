import EventFiles
import Foundation
import Glibc

/// Why a stage-out failed (always job exit code 60307).
struct StageOutError: Error, CustomStringConvertible {
    /// The local file.
    var source: String
    /// The destination PFN.
    var destination: String
    /// What went wrong.
    var reason: String

    var description: String { "stage-out of \(source) to \(destination) failed: \(reason)" }
}

/// Copies a finished local file to its storage PFN: parent directories created, data written to a
/// hidden temporary beside the destination, fsynced, renamed into place, then size and checksums
/// of the destination compared with the expected ones.
enum StageOut {
    static func copy(from source: String, to destination: String, expected: FileChecksums?) throws(StageOutError) {
        func fail(_ reason: String) -> StageOutError { StageOutError(source: source, destination: destination, reason: reason) }
        let url = URL(fileURLWithPath: destination)
        let parent = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw fail("cannot create directory \(parent): \(error.localizedDescription)")
        }
        let temporary = parent + "/.stageout-\(getpid())-" + url.lastPathComponent
        do {
            try copyBytes(from: source, to: temporary)
        } catch {
            unlink(temporary)
            throw fail(error.reason)
        }
        guard rename(temporary, destination) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw fail("rename into place: \(reason)")
        }
        guard let expected else { return }
        let staged: FileChecksums
        do { staged = try FileChecksums.compute(path: destination) } catch {
            unlink(destination)
            throw fail("cannot verify the staged file: \(error)")
        }
        guard staged == expected else {
            unlink(destination)
            throw fail("staged file differs: size \(staged.size) adler32 \(staged.adler32Hex), expected size \(expected.size) adler32 \(expected.adler32Hex)")
        }
    }

    /// Removes files already staged out (WMCore cleans successful stage-outs when one fails).
    static func remove(_ destinations: [String]) {
        for path in destinations { unlink(path) }
    }

    private struct CopyError: Error { var reason: String }

    private static func copyBytes(from source: String, to destination: String) throws(CopyError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw CopyError(reason: "cannot open \(source): \(errnoText())") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw CopyError(reason: "cannot create \(destination): \(errnoText())") }
        var closed = false
        defer { if !closed { close(output) } }
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(input, buffer, size)
            if n < 0 { if errno == EINTR { continue }; throw CopyError(reason: "read \(source): \(errnoText())") }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = write(output, buffer + done, n - done)
                if w < 0 { if errno == EINTR { continue }; throw CopyError(reason: "write \(destination): \(errnoText())") }
                done += w
            }
        }
        guard fsync(output) == 0 else { throw CopyError(reason: "fsync \(destination): \(errnoText())") }
        closed = true
        guard close(output) == 0 else { throw CopyError(reason: "close \(destination): \(errnoText())") }
    }

    private static func errnoText() -> String { "\(String(cString: strerror(errno))) (errno \(errno))" }
}
