import Foundation
import FrameworkJobReport
import SpoolKit
import WMCore

/// A job attempt's work directory, `<spool>/work/<workflow>/<job>-<retry>/`, and what the runtime left in it.
///
/// The one definition of where an attempt runs: the submitter, the plugins (through the submission), the
/// tracker, the accountant, the job archiver, fsck, `wmctl` and the job wrapper all derive the place from here.
/// The workflow and the job name are each one path component: a name in the spool's safe set
/// (`Spool.isSafeName`) stays as it is, any other is percent-encoded (`pathComponent`), so a name with `/`,
/// `..`, a space or a leading dot can neither escape `work/` nor add a level (the wrapper finds the spool root
/// by climbing `depth` levels).
public struct JobWorkDirectory {
    /// Spool-relative path of the directory.
    public let relativePath: String
    /// Absolute path.
    public let path: String
    /// The attempt's retry count.
    public let retry: Int

    /// The spool folder holding every work directory.
    public static let folder = Layout.work
    /// How many levels a work directory lies below the spool root (`work`, workflow, attempt).
    public static let depth = 3

    /// The directory of attempt `retry` of a job.
    public init(spool: Spool, workflow: String, job: String, retry: Int) {
        relativePath = Self.workflowFolder(workflow) + "/" + Self.folderName(job: job, retry: retry)
        path = spool.path(relativePath)
        self.retry = retry
    }

    /// The directory of the job's current attempt (its `retryCount`).
    public init(spool: Spool, job: JobBody) {
        self.init(spool: spool, workflow: job.workflow, job: job.name, retry: job.retryCount)
    }

    /// Spool-relative folder of a workflow's attempts: `work/<workflow>`.
    public static func workflowFolder(_ workflow: String) -> String {
        folder + "/" + pathComponent(workflow)
    }

    /// The folder name of an attempt: `<job>-<retry>`.
    public static func folderName(job: String, retry: Int) -> String {
        AttemptKey(job: pathComponent(job), retry: retry).description
    }

    /// The job name (decoded) and retry of an attempt folder name `<job>-<retry>`; nil for any other name.
    public static func attempt(folderName name: String) -> (job: String, retry: Int)? {
        guard let attempt = AttemptKey(parsing: name) else { return nil }
        return (decodedComponent(attempt.job), attempt.retry)
    }

    /// The spool root of a work directory (`depth` levels up), for a `runtime.json` that names none.
    public static func spoolRoot(ofWorkDirectory directory: String) -> String {
        var url = URL(fileURLWithPath: directory)
        for _ in 0..<depth { url.deleteLastPathComponent() }
        return url.path
    }

    /// A name as one safe path component: safe names unchanged, otherwise every byte but letters, digits,
    /// `_` and `-` as `%XX` (an encoded name always holds a `%`, which no safe name does, so none collide).
    public static func pathComponent(_ name: String) -> String {
        if Spool.isSafeName(name) { return name }
        var result = ""
        for byte in name.utf8 {
            let keep = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            result += keep ? String(Character(Unicode.Scalar(byte))) : "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
        return result.isEmpty ? "%" : result
    }

    /// The inverse of `pathComponent` (a component without `%` is returned as it is).
    public static func decodedComponent(_ component: String) -> String {
        guard component.contains("%") else { return component }
        if component == "%" { return "" }
        var bytes: [UInt8] = []
        var rest = Substring(component)
        while let first = rest.first {
            if first == "%", rest.count >= 3, let byte = UInt8(rest.dropFirst().prefix(2), radix: 16) {
                bytes.append(byte)
                rest = rest.dropFirst(3)
            } else {
                bytes.append(contentsOf: String(first).utf8)
                rest = rest.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `Report.<retry>.xml`.
    public var reportPath: String { path + "/Report.\(retry).xml" }

    /// What `runtime.json` says about where the job ran and wrote: `{"pnn", "site", "storagePrefix"}`.
    public struct Runtime: Decodable, Sendable {
        /// The storage node outputs were staged out to.
        public var pnn: String?
        /// The processing site.
        public var site: String?
        /// PFN prefix of the storage node (PFN = prefix + LFN).
        public var storagePrefix: String?
    }

    /// Reads `runtime.json`; nil when it is absent or unreadable.
    public func runtime() -> Runtime? {
        var known: [[UInt8]: Runtime?] = [:]
        return runtime(decoded: &known)
    }

    /// `runtime()`, decoding each distinct file content once (every job at a site has the same one).
    package func runtime(decoded known: inout [[UInt8]: Runtime?]) -> Runtime? {
        guard let bytes = try? SystemCall.readFile(path + "/runtime.json", limit: Spool.configurationSizeLimit) else { return nil }
        if let runtime = known[bytes] { return runtime }
        let runtime = try? JSONDecoder().decode(Runtime.self, from: Data(bytes))
        known[bytes] = runtime
        return runtime
    }
}

/// Why the accountant failed a job whose report it read (codes in WMCore's 99xxx "bad report" range).
public enum AccountingFailure: Error, Equatable, CustomStringConvertible {
    /// The report could not be used: 99999 missing, 99998 empty, 99997 unreadable.
    case badReport(ReportReadError)
    /// The report's step failed (its exit code).
    case stepFailed(code: Int, detail: String)
    /// The report's output modules differ from the job's (99996).
    case moduleMismatch(report: String, expected: [String], found: [String])
    /// An output file has no storage location (99996).
    case missingLocation(report: String, lfn: String, pfn: String, expected: String?)
    /// An output LFN was already recorded by another job (99996).
    case duplicateOutput(report: String, lfn: String, owner: String)
    /// The report is not this attempt's (99995): its wrapper stamp names another job or retry, or it has none
    /// (our wrapper stamps every report it writes).
    case foreignReport(report: String, expected: String, found: String?)
    /// An output holds a lumi outside the job's mask (99995): the report describes work of another job.
    case lumiOutsideMask(report: String, lfn: String, run: Int, lumi: Int)

    /// The exit code given to the job for a report that contradicts the job (module mismatch, missing
    /// location, duplicate output): 99996 of the reports range.
    public static let inconsistentReportCode = 99996
    /// The exit code given to the job for a report that belongs to another job attempt (or carries no stamp
    /// of our wrapper, or holds lumis outside the job's mask): 99995, the next free code of WMCore's bad-report range.
    public static let foreignReportCode = 99995

    /// The job's exit code.
    public var exitCode: Int {
        switch self {
        case .badReport(let error): return error.accountantExitCode
        case .stepFailed(let code, _): return code
        case .moduleMismatch, .missingLocation, .duplicateOutput: return Self.inconsistentReportCode
        case .foreignReport, .lumiOutsideMask: return Self.foreignReportCode
        }
    }

    /// The error type recorded in the job's accounting record.
    public var type: String {
        switch self {
        case .badReport: return "BadFWJobReport"
        case .stepFailed: return "StepFailed"
        case .moduleMismatch: return "OutputModuleMismatch"
        case .missingLocation: return "MissingLocation"
        case .duplicateOutput: return "DuplicateOutput"
        case .foreignReport, .lumiOutsideMask: return "ForeignReport"
        }
    }

    public var description: String {
        switch self {
        case .badReport(let error): return "\(error.accountantExitCode): \(error)"
        case let .stepFailed(code, detail): return "\(code): step failed: \(detail)"
        case let .moduleMismatch(report, expected, found):
            return "\(Self.inconsistentReportCode): \(report): output modules \(found) do not match the job's outputs \(expected)"
        case let .missingLocation(report, lfn, pfn, expected):
            return "\(Self.inconsistentReportCode): \(report): output \(lfn) has no location (PFN '\(pfn)' is "
                + (expected.map { "not \($0), the LFN on the job's storage node)" } ?? "on no storage node: runtime.json names no pnn)")
        case let .duplicateOutput(report, lfn, owner):
            return "\(Self.inconsistentReportCode): \(report): output \(lfn) was already recorded by \(owner); refusing a duplicate"
        case let .foreignReport(report, expected, found):
            return "\(Self.foreignReportCode): \(report): " + (found.map { "the report belongs to job attempt \($0), not \(expected)" }
                ?? "the report carries no job stamp of wm-runjob (WMWrapper JobName/Retry); expected \(expected)")
                + "; nothing of it was recorded"
        case let .lumiOutsideMask(report, lfn, run, lumi):
            return "\(Self.foreignReportCode): \(report): output \(lfn) holds run \(run) lumi \(lumi), outside the job's mask; nothing of it was recorded"
        }
    }
}

/// The per-workflow LFN registry: one marker file per recorded data output LFN, `wmbs/<workflow>/lfns/<key>`, published
/// no-clobber, holding `<job>-<retry>` of the attempt that recorded it.
public struct LFNRegistry {
    /// The spool.
    public let spool: Spool

    /// The registry of `spool`.
    public init(spool: Spool) { self.spool = spool }

    /// Spool-relative folder of a workflow's markers.
    public func folder(_ workflow: String) -> String { Layout.wmbs(workflow).lfns }

    /// The attempt that recorded `lfn`, or nil when nobody did.
    public func owner(of lfn: String, workflow: String) throws -> String? {
        guard let bytes = try spool.read(FileKey.of(lfn), in: folder(workflow)) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
    }

    /// Stages the marker of `lfn` for `owner`.
    public func claim(_ lfn: String, owner: String, workflow: String, in batch: SpoolBatch) throws {
        try batch.publish(Array("\(owner)\n\(lfn)\n".utf8), as: FileKey.of(lfn), in: folder(workflow))
    }
}

/// Where the accountant puts what it records (spool-relative folders).
public enum AccountingAreas {
    /// NOTUPLOADED files not yet in a block.
    public static let dbsBufferFiles = Layout.dbsBufferFiles
    /// NOTUPLOADED files assigned to a block.
    public static let dbsBufferAssigned = Layout.dbsBufferAssigned
    /// Files in the catalog.
    public static let dbsBufferUploaded = Layout.dbsBufferUploaded
    /// Markers of workflows the task archiver closed (`<workflow>`): their open blocks may close.
    public static let dbsBufferCompleted = Layout.dbsBufferCompleted
    /// Every folder a DBS buffer file can be in.
    public static let dbsBufferFileFolders = [dbsBufferFiles, dbsBufferAssigned, dbsBufferUploaded]

    /// Accounting records (one per job attempt) of a workflow.
    public static func reports(_ workflow: String) -> String { Layout.wmbs(workflow).reports }
}

/// JSON with sorted keys and a final newline, as every spool document.
package func encodeDocument<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return Array(try encoder.encode(value)) + [UInt8(ascii: "\n")]
}

/// Decodes a spool document, explaining failures by file and field.
package func decodeDocument<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], file: String) throws -> T {
    do {
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch {
        throw DocumentProblem(describeDecodingError(error, file: file))
    }
}

/// Reads the accounting records of a workflow (`wmbs/<workflow>/reports/*.jsonl`), one per job attempt.
public enum AccountingRecords {
    /// Every record, the last one read winning for a repeated attempt, sorted by job and retry.
    public static func read(spool: Spool, workflow: String) throws -> [AccountingRecord] {
        let folder = AccountingAreas.reports(workflow)
        var byAttempt: [String: AccountingRecord] = [:]
        for name in try spool.scan(folder).names {
            for record in try records(inFile: name, spool: spool, workflow: workflow) {
                byAttempt[AttemptKey(job: record.job, retry: record.retry).description] = record
            }
        }
        return byAttempt.values.sorted { ($0.job, $0.retry) < ($1.job, $1.retry) }
    }

    /// The records of one file of the workflow's reports folder (one JSON record per line); none if it is gone.
    package static func records(inFile name: String, spool: Spool, workflow: String) throws -> [AccountingRecord] {
        let folder = AccountingAreas.reports(workflow)
        guard let bytes = try spool.read(name, in: folder) else { return [] }
        return try bytes.split(separator: UInt8(ascii: "\n")).filter { !$0.isEmpty }.map {
            try decodeDocument(AccountingRecord.self, Array($0), file: folder + "/" + name)
        }
    }
}

extension String {
    /// The string left-padded with zeros to `width` characters (hex digits of names and keys).
    package func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
