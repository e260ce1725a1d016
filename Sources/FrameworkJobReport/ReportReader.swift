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
        let source = url.path
        // A plain stat: `FileManager.attributesOfItem` also looks up the owner's user and group names (reading
        // /etc/passwd and /etc/group, and asking nscd) for every report the accountant reads.
        var status = stat()
        guard stat(source, &status) == 0 else { throw .missingFile(source: source) }
        if Int(status.st_size) > sizeLimit { throw .documentTooLarge(source: source, size: Int(status.st_size), limit: sizeLimit) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadableFile(source: source, reason: String(describing: error))
        }
        return try read(data: data, source: source)
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
