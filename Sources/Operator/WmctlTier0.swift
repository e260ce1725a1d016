import Commands
import DynamicJSON
import JobSplitting
import SpoolKit
import SpoolLayout
import Tier0
import WMCore

/// `wmctl t0 runs|release|hold|resume`: the Tier-0's runs as the feeder recorded them (`t0/runs/<run>/state.json`)
/// with each primary dataset's PromptReco release (`t0/runs/<run>/reco/<PD>.json`), and the operator's hands on
/// the release: force one now, hold them all, resume.
enum Tier0Verbs {
    /// The Tier-0 verbs.
    static let commands: [WmctlCommand] = [
        WmctlCommand("t0 runs", "", "each Tier-0 run: HLT key, lumis final-closed/closed/open per stream, ended, instances, "
                     + "and each primary dataset's PromptReco release (waiting, locked, released, held)",
                     options: [WmctlCommand.json]) { inv in
            let spool = try inv.spool()
            try runs(Tier0RunStore(spool: spool), releases: PromptRecoReleaseStore(spool: spool), json: inv.json, output: inv.output); return 0
        },
        WmctlCommand("t0 release", "", "release PromptReco now, without its delay: the feeder releases the matching rows "
                     + "at its next cycle once their run has stopped (out of run order; a hold still holds them)",
                     options: [CommandOption("run", .integer(Tier0Patterns.runsAndLumis), help: "only this run"),
                               CommandOption("dataset", .text("PD"), help: "only this primary dataset")],
                     dryRun: .supported) { inv in
            try release(inv)
        },
        WmctlCommand("t0 hold", "", "hold every PromptReco release (t0/hold-promptreco): nothing locks or releases until "
                     + "'wmctl t0 resume'", dryRun: .supported) { inv in
            let store = PromptRecoReleaseStore(spool: try inv.spool())
            if store.isHeld { inv.output.line("PromptReco releases are already held"); return 0 }
            if inv.parsed.dryRun { inv.output.line("would hold every PromptReco release (dry run: nothing changed)"); return 0 }
            try store.hold(at: WallClock.now())
            inv.output.line("PromptReco releases held: the feeder locks and releases nothing until 'wmctl t0 resume'")
            return 0
        },
        WmctlCommand("t0 resume", "", "lift the PromptReco hold: releases whose time has come happen at the feeder's next cycle",
                     dryRun: .supported) { inv in
            let store = PromptRecoReleaseStore(spool: try inv.spool())
            if !store.isHeld { inv.output.line("PromptReco releases are not held"); return 0 }
            if inv.parsed.dryRun { inv.output.line("would resume PromptReco releases (dry run: nothing changed)"); return 0 }
            try store.resume()
            inv.output.line("PromptReco releases resumed")
            return 0
        },
    ]

    /// The release rows of `run`; a damaged row is bad data (exit 65), named.
    static func releaseRows(_ store: PromptRecoReleaseStore, run: Int) throws -> [PromptRecoReleaseRecord] {
        do { return try store.records(run: run) } catch let problem as DocumentProblem { throw CommandFailure(.dataError, "wmctl: \(problem)") }
    }

    /// `wmctl t0 release`: leaves a release request for every row not released yet of the run and dataset asked
    /// (T0 operators release a run's PromptReco early by setting its delay to 0; the feeder owns the rows, so the
    /// request is a marker it applies). Exit 66 when no row matches.
    static func release(_ inv: WmctlInvocation) throws -> Int32 {
        let spool = try inv.spool()
        let store = PromptRecoReleaseStore(spool: spool)
        let run = inv.parsed.integer("run"), dataset = inv.parsed.text("dataset")
        let runs = try run.map { [$0] } ?? Tier0RunStore(spool: spool).runs()
        let rows = try runs.flatMap { try releaseRows(store, run: $0) }.filter { dataset == nil || $0.dataset == dataset }
        guard !rows.isEmpty else {
            let what = [run.map { "run \($0)" }, dataset.map { "dataset \($0)" }].compactMap { $0 }.joined(separator: ", ")
            throw CommandFailure(.noInput, "wmctl t0 release: no PromptReco release row" + (what.isEmpty ? "" : " for " + what)
                                 + " (a run's rows are booked once its Repack workflow is configured; see 'wmctl t0 runs')")
        }
        let waiting = rows.filter { $0.state != .released }
        if waiting.isEmpty { inv.output.line("nothing to release: every matching row is released already"); return 0 }
        for row in waiting {
            let when = row.stopTime > 0 ? "at the feeder's next cycle" : "as soon as the run stops"
            let held = store.isHeld ? " once 'wmctl t0 resume' lifts the hold" : ""
            if inv.parsed.dryRun {
                inv.output.line("would release run \(row.run) \(row.dataset) \(when)\(held) (dry run: nothing changed)")
            } else {
                try store.requestRelease(run: row.run, dataset: row.dataset, at: WallClock.now())
                inv.output.line("run \(row.run) \(row.dataset): released \(when)\(held)")
            }
        }
        return 0
    }

    /// The runs with a recorded state, in order (a run folder the feeder has not summarised yet is left out).
    static func states(_ store: Tier0RunStore) throws -> [Tier0RunState] {
        try store.runs().compactMap { try store.state(run: $0) }
    }

    /// Prints every run (`--json`: one object per run, the state document plus `"release"`: `held` and one object
    /// per primary dataset, its release row plus `requested` when an operator asked to release it).
    static func runs(_ store: Tier0RunStore, releases: PromptRecoReleaseStore, json: Bool, output: Wmctl.Output) throws {
        let states = try states(store)
        let held = releases.isHeld
        if json {
            let rows: [JSONValue] = try states.map { state in
                guard case .object(var row) = try JSONValue.parse(try encodeDocument(state)) else { return .null }
                let datasets: [JSONValue] = try releaseRows(releases, run: state.run).map { record in
                    guard case .object(var object) = try JSONValue.parse(try encodeDocument(record)) else { return .null }
                    object["requested"] = .bool(releases.isReleaseRequested(run: record.run, dataset: record.dataset))
                    return .object(object)
                }
                row["release"] = .object(["held": .bool(held), "datasets": .array(datasets)])
                return .object(row)
            }
            output.line(JSONValue.array(rows).serialized)
            return
        }
        if states.isEmpty { output.line("no Tier-0 runs"); return }
        if held { output.line("PromptReco releases are held (t0/hold-promptreco): 'wmctl t0 resume' lifts the hold") }
        for state in states {
            let instances = "instances ended \(state.instancesEnded.count)/" + (state.expectedInstances.map(String.init) ?? "?")
                + (state.instancesEnded.isEmpty ? "" : " (" + state.instancesEnded.joined(separator: ", ") + ")")
            let records = try releaseRows(releases, run: state.run)
            output.line("run \(state.run)  hltKey \(state.hltKey ?? "(no run document yet)")  "
                        + (state.ended ? "ended, \(state.lumiCount ?? 0) lumis" : "not ended") + "  \(instances)  " + releaseSummary(records))
            for stream in state.streams {
                let empty = stream.lumis.filter { $0.files == 0 && $0.state == .finalClosed }.count
                output.line("  stream \(stream.stream): \(stream.lumis.count) lumis: \(stream.lumis(.finalClosed).count) final-closed"
                            + (empty > 0 ? " (\(empty) empty)" : "") + ", \(stream.lumis(.closed).count) closed waiting for streamers, "
                            + "\(stream.lumis(.open).count) open" + openList(stream))
            }
            for record in records {
                output.line("  PromptReco \(record.dataset): " + describe(record, held: held,
                                                                          requested: releases.isReleaseRequested(run: record.run, dataset: record.dataset)))
            }
        }
    }

    /// `PromptReco 2 waiting, 1 released` (`no PromptReco` for a run without release rows).
    static func releaseSummary(_ records: [PromptRecoReleaseRecord]) -> String {
        guard !records.isEmpty else { return "no PromptReco" }
        return "PromptReco " + PromptRecoReleaseRecord.State.allCases.compactMap { state in
            let n = records.filter { $0.state == state }.count
            return n > 0 ? "\(n) \(state.rawValue)" : nil
        }.joined(separator: ", ")
    }

    /// One row's release: `waiting for the run to stop`, `waiting (stopped at T)`, `locked at T (delay D s, offset O s),
    /// releases at T'`, `released at T`; with `forced`, `release requested` and `held` as they apply.
    static func describe(_ record: PromptRecoReleaseRecord, held: Bool, requested: Bool) -> String {
        var text: String
        switch record.state {
        case .waiting:
            text = record.stopTime > 0 ? "waiting (run stopped at \(time(record.stopTime)))" : "waiting for the run to stop"
        case .locked where record.forced == true:
            text = "locked at \(time(record.lockedAt ?? 0)) with no delay: released at the feeder's next cycle"
        case .locked:
            text = "locked at \(time(record.lockedAt ?? 0)) (delay \(record.delay ?? 0) s, offset \(record.offset ?? 0) s), releases at "
                + time(SaturatingArithmetic.add(record.stopTime, record.delay ?? 0))
        case .released:
            text = "released at \(time(record.releasedAt ?? 0))"
        }
        if record.forced == true { text += ", forced by an operator" }
        if requested { text += ", release requested" }
        if held && record.state != .released { text += ", held" }
        return text
    }

    /// A time as the logs print it (UTC, ISO 8601).
    static func time(_ seconds: Int) -> String { Logger.timestamp(Double(seconds)) }

    /// ` (open: 3, 7-9)` for a stream with lumis not final-closed, else "".
    static func openList(_ stream: Tier0RunState.Stream) -> String {
        let waiting = stream.lumis.filter { $0.state != .finalClosed }.map(\.lumi)
        return waiting.isEmpty ? "" : " (not final-closed: " + ranges(waiting) + ")"
    }

    /// Sorted numbers as ranges: `[1, 2, 3, 7]` → `1-3, 7`.
    static func ranges(_ numbers: [Int]) -> String {
        var parts: [String] = []
        var start: Int?, last: Int?
        for n in numbers {
            if let l = last, n == l + 1 { last = n; continue }
            if let s = start, let l = last { parts.append(s == l ? "\(s)" : "\(s)-\(l)") }
            start = n; last = n
        }
        if let s = start, let l = last { parts.append(s == l ? "\(s)" : "\(s)-\(l)") }
        return parts.joined(separator: ", ")
    }

    /// `wmctl status`'s lines: one per open run (not ended, or a lumi not final-closed).
    static func statusLines(_ spool: Spool) throws -> [String] {
        try states(Tier0RunStore(spool: spool)).filter(\.isOpen).map { state in
            let lumis = state.streams.map { "\($0.stream) \($0.lumis(.finalClosed).count)/\($0.lumis.count)" }.joined(separator: ", ")
            return "t0 run \(state.run): " + (state.ended ? "ended" : "not ended")
                + ", instances ended \(state.instancesEnded.count)/" + (state.expectedInstances.map(String.init) ?? "?")
                + (lumis.isEmpty ? "" : ", final-closed lumis " + lumis)
        }
    }
}
