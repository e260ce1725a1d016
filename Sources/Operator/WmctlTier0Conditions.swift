import Commands
import DynamicJSON
import Foundation
import SpoolKit
import SpoolLayout

/// `wmctl t0 conditions`: the conditions payloads the Condition subscriptions recorded for upload
/// (`t0/conditions/<run>/`, T0's `prompt_calib_file`) and whether the ConditionUpload stand-in handled them.
enum Tier0ConditionVerbs {
    /// The verb.
    static let commands: [WmctlCommand] = [
        WmctlCommand("t0 conditions", "", "conditions payloads recorded for upload: run, LFN, lumis, recorded, uploaded",
                     options: [CommandOption("run", .integer(1...Int(UInt32.max)), help: "only the payloads of this run"),
                               WmctlCommand.json]) { inv in
            try list(Tier0ConditionStore(spool: try inv.spool()), run: inv.parsed.integer("run"), json: inv.json, output: inv.output)
            return 0
        },
    ]

    /// Prints the records (of `run` only, when given), by run then LFN: one line each, or with `--json` a list of the
    /// record documents (`run`, `lfn`, `lumis`, `size`, `locations`, `workflow`, `subscription`, `recorded`,
    /// `uploaded`: epoch seconds, null while it waits).
    static func list(_ store: Tier0ConditionStore, run: Int?, json: Bool, output: Wmctl.Output) throws {
        let records = try store.records().filter { run == nil || $0.run == run }
        if json {
            let rows: [JSONValue] = try records.map { record in
                guard case .object(var row) = try JSONValue.parse(try encodeDocument(record)) else { return .null }
                row["uploaded"] = record.uploaded.map { .double($0) } ?? .null
                return .object(row)
            }
            output.line(JSONValue.array(rows).serialized)
            return
        }
        if records.isEmpty { output.line(run.map { "no conditions payloads recorded for run \($0)" } ?? "no conditions payloads recorded"); return }
        for record in records {
            output.line("run \(record.run)  \(record.lfn)  lumis \(Tier0Verbs.ranges(record.lumis))  recorded \(time(record.recorded))  "
                        + (record.uploaded.map { "uploaded \(time($0))" } ?? "waiting for upload"))
        }
    }

    /// A time as `2026-12-05T10:37:55Z` (UTC).
    static func time(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
