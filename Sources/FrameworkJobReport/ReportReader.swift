#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads CMSSW framework job report XML into a `FrameworkJobReport` in one pass over the bytes
/// (`XMLScanner` feeding `ReportTreeBuilder`).
///
/// Faithful to WMCore's `FwkJobReport/XMLParser.py`, and stricter where WMCore was lax: XML that is not
/// well-formed, a truncated document, a DTD or entity declaration, a document over `sizeLimit`, or a
/// missing required child is an error, never a partial report.
public struct FrameworkJobReportReader: Sendable {
    /// The default size cap: 50 MB.
    public static let defaultSizeLimit = 50 * 1024 * 1024

    /// Documents larger than this many bytes are refused.
    public var sizeLimit: Int

    /// Creates a reader with a size cap in bytes.
    public init(sizeLimit: Int = FrameworkJobReportReader.defaultSizeLimit) { self.sizeLimit = sizeLimit }

    /// Reads the report at `url`; the path names the report in error messages.
    public func read(contentsOf url: URL) throws(ReportReadError) -> FrameworkJobReport {
        try read(contentsOfFile: url.path)
    }

    /// Reads the report at `path` (named so in error messages): one open, its size checked before reading.
    /// The open never blocks and follows no link (a FIFO or a link is refused as not a regular file).
    ///
    /// A plain `fstat`: `FileManager.attributesOfItem` also looks up the owner's user and group names (reading
    /// /etc/passwd and /etc/group, and asking nscd) for every report the accountant reads.
    public func read(contentsOfFile path: String) throws(ReportReadError) -> FrameworkJobReport {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .missingFile(source: path) }
            throw .unreadableFile(source: path, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .unreadableFile(source: path, reason: String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .unreadableFile(source: path, reason: "not a regular file") }
        let size = Int(status.st_size)
        if size > sizeLimit { throw .documentTooLarge(source: path, size: size, limit: sizeLimit) }
        var data = Data(count: size)
        var filled = 0
        var failure: Int32 = 0
        data.withUnsafeMutableBytes { raw in
            while filled < size {
                let n = Glibc.read(fd, raw.baseAddress! + filled, size - filled)
                if n > 0 { filled += n } else if n == 0 { break } else if errno != EINTR { failure = errno; break }
            }
        }
        if failure != 0 { throw .unreadableFile(source: path, reason: String(cString: strerror(failure))) }
        return try read(data: data.prefix(filled), source: path)
    }

    /// Reads a report held in memory; `source` names it in error messages.
    public func read(data: Data, source: String = "<data>") throws(ReportReadError) -> FrameworkJobReport {
        guard data.count <= sizeLimit else {
            throw .documentTooLarge(source: source, size: data.count, limit: sizeLimit)
        }
        guard data.contains(where: { !XMLBytes.isWhitespace($0) }) else { throw .emptyDocument(source: source) }
        // `withUnsafeBytes` rethrows untyped errors: carry the typed result out instead.
        let result = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<FrameworkJobReport, ReportReadError> in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            do throws(ReportReadError) {
                let builder = try XMLScanner.scan(bytes, source: source, into: ReportTreeBuilder(source: source))
                return .success(try builder.finishedReport())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
