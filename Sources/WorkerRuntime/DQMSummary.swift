import Foundation
import FrameworkJobReport
import Glibc
import SpoolKit
import WMCore

/// The stand-in's DQMIO file: a JSON summary of what a job read and wrote (Express writes one per DQMIO output; a
/// merge of DQMIO/DQM unites several; harvesting reads them). Read from disk as hostile input: without following a
/// link or blocking, at most `sizeLimit` bytes, every member checked (counts in `countRange`, runs and lumis in
/// `numberRange`), so nothing summed from summaries can trap.
struct DQMSummary: Equatable {
    /// The data tiers whose files are DQM summaries instead of event files.
    static let tiers: Set<String> = ["DQMIO", "DQM"]
    /// The largest summary read (4 MiB).
    static let sizeLimit = 4 << 20
    /// The counts a summary may hold (2^40: a million inputs of them cannot overflow a sum).
    static let countRange = 0...(1 << 40)
    /// The run and lumi numbers a summary may hold.
    static let numberRange = 1...Int(UInt32.max)

    /// The workflow that wrote it.
    var workflow: String
    /// Events read by the jobs summarized.
    var eventsRead: Int
    /// Run → lumis read.
    var lumisPerRun: [Int: Set<Int>]
    /// Output module label → events it wrote.
    var eventsPerOutput: [String: Int]

    /// The union of `summaries` for `workflow`: events read and per output summed, lumis per run united.
    static func merged(_ summaries: [DQMSummary], workflow: String) -> DQMSummary {
        var merged = DQMSummary(workflow: workflow, eventsRead: 0, lumisPerRun: [:], eventsPerOutput: [:])
        for summary in summaries {
            merged.eventsRead += summary.eventsRead
            for (run, lumis) in summary.lumisPerRun { merged.lumisPerRun[run, default: []].formUnion(lumis) }
            for (label, events) in summary.eventsPerOutput { merged.eventsPerOutput[label, default: 0] += events }
        }
        return merged
    }

    /// The lumis as a report's run/lumi map.
    var runs: RunLumiMap { RunLumiMap(lumisByRun: lumisPerRun.mapValues { $0.sorted() }) }

    /// The document's JSON.
    var json: JSONValue {
        .object([
            "workflow": .string(workflow),
            "eventsRead": .int(eventsRead),
            "lumisPerRun": .object(Dictionary(uniqueKeysWithValues: lumisPerRun.map { (String($0.key), JSONValue.array($0.value.sorted().map { .int($0) })) })),
            "eventsPerOutput": .object(eventsPerOutput.mapValues { .int($0) }),
        ])
    }

    /// Writes the summary at `path` (which must not exist yet).
    /// - Throws: `StepFailure` 8033 (FileWriteError) naming the path.
    func write(to path: String) throws(StepFailure) { try writeDQMSummary(json, to: path) }

    /// Whether the file at `path` holds a summary rather than an event file: its first byte is `{` (an event file
    /// starts with its magic). A file that cannot be read is not a summary (the event reader names its problem).
    /// Opened without following a link or blocking (a FIFO reads nothing).
    static func isSummary(path: String) -> Bool {
        guard let fd = try? SystemCall.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return false }
        defer { _ = Glibc.close(fd) }
        var first: UInt8 = 0
        return Glibc.read(fd, &first, 1) == 1 && first == UInt8(ascii: "{")
    }

    /// Reads and checks the summary at `path` (input `lfn`).
    /// - Throws: `StepFailure` 8020 (FileOpenError) when it cannot be opened, is not a regular file or is too big;
    ///   8021 (FileReadError) when it is not a summary document, naming the member, what was found and what is allowed.
    static func read(path: String, lfn: String) throws(StepFailure) -> DQMSummary {
        let bytes: [UInt8]
        do { bytes = try SystemCall.readFile(path, limit: sizeLimit) } catch {
            throw StepFailure(code: RuntimeExitCodes.fileOpenError, type: "FileOpenError",
                              details: "\(path) (LFN \(lfn)): cannot open the DQM summary: \(error)")
        }
        func bad(_ field: String, _ found: String, _ allowed: String) -> StepFailure {
            StepFailure(code: RuntimeExitCodes.fileReadError, type: "FileReadError",
                        details: "\(path) (LFN \(lfn)): not a DQM summary: \(field): found \(found); expected \(allowed)")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw bad("document", "malformed JSON (\(error))", "a JSON object") }
        guard let object = value.objectValue else { throw bad("document", "\(value)", "a JSON object") }
        let known: Set<String> = ["workflow", "eventsRead", "lumisPerRun", "eventsPerOutput"]
        if let stranger = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw bad(stranger, "an unknown member", "only \(known.sorted().joined(separator: ", "))")
        }
        func count(_ value: JSONValue?, _ field: String) throws(StepFailure) -> Int {
            guard let n = value?.intValue, countRange.contains(n) else {
                throw bad(field, value.map { "\($0)" } ?? "nothing", "an integer in \(countRange)")
            }
            return n
        }
        func number(_ text: String, _ field: String) throws(StepFailure) -> Int {
            guard let n = Int(text), numberRange.contains(n) else { throw bad(field, text, "an integer in \(numberRange)") }
            return n
        }
        guard let workflow = object["workflow"]?.stringValue else {
            throw bad("workflow", object["workflow"].map { "\($0)" } ?? "nothing", "a string")
        }
        let eventsRead = try count(object["eventsRead"], "eventsRead")
        guard let runsObject = object["lumisPerRun"]?.objectValue else {
            throw bad("lumisPerRun", object["lumisPerRun"].map { "\($0)" } ?? "nothing", "an object run → [lumi]")
        }
        var lumisPerRun: [Int: Set<Int>] = [:]
        for (key, list) in runsObject {
            let run = try number(key, "lumisPerRun.\(key)")
            guard let lumis = list.arrayValue else { throw bad("lumisPerRun.\(key)", "\(list)", "a list of lumis") }
            for lumi in lumis {
                guard let n = lumi.intValue, numberRange.contains(n) else {
                    throw bad("lumisPerRun.\(key)", "\(lumi)", "lumis in \(numberRange)")
                }
                lumisPerRun[run, default: []].insert(n)
            }
        }
        guard let outputsObject = object["eventsPerOutput"]?.objectValue else {
            throw bad("eventsPerOutput", object["eventsPerOutput"].map { "\($0)" } ?? "nothing", "an object label → events")
        }
        var eventsPerOutput: [String: Int] = [:]
        for (label, events) in outputsObject { eventsPerOutput[label] = try count(events, "eventsPerOutput.\(label)") }
        return DQMSummary(workflow: workflow, eventsRead: eventsRead, lumisPerRun: lumisPerRun, eventsPerOutput: eventsPerOutput)
    }
}
