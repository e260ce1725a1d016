import Commands
import DynamicJSON
import SpoolKit
import SpoolLayout

/// `wmctl t0 runs`: the Tier-0's runs as the feeder recorded them (`t0/runs/<run>/state.json`).
enum Tier0Verbs {
    /// The Tier-0 verbs.
    static let commands: [WmctlCommand] = [
        WmctlCommand("t0 runs", "", "each Tier-0 run: HLT key, lumis final-closed/closed/open per stream, ended, instances",
                     options: [WmctlCommand.json]) { inv in
            try runs(Tier0RunStore(spool: try inv.spool()), json: inv.json, output: inv.output); return 0
        },
    ]

    /// The runs with a recorded state, in order (a run folder the feeder has not summarised yet is left out).
    static func states(_ store: Tier0RunStore) throws -> [Tier0RunState] {
        try store.runs().compactMap { try store.state(run: $0) }
    }

    /// Prints every run (`--json`: one object per run, the state document plus `"release"`).
    static func runs(_ store: Tier0RunStore, json: Bool, output: Wmctl.Output) throws {
        let states = try states(store)
        if json {
            let rows: [JSONValue] = try states.map { state in
                guard case .object(var row) = try JSONValue.parse(try encodeDocument(state)) else { return .null }
                // PromptReco release is a later slice: nothing is released yet, and that is what is said.
                row["release"] = .string("not released")
                return .object(row)
            }
            output.line(JSONValue.array(rows).serialized)
            return
        }
        if states.isEmpty { output.line("no Tier-0 runs"); return }
        for state in states {
            let instances = "instances ended \(state.instancesEnded.count)/" + (state.expectedInstances.map(String.init) ?? "?")
                + (state.instancesEnded.isEmpty ? "" : " (" + state.instancesEnded.joined(separator: ", ") + ")")
            output.line("run \(state.run)  hltKey \(state.hltKey ?? "(no run document yet)")  "
                        + (state.ended ? "ended, \(state.lumiCount ?? 0) lumis" : "not ended") + "  \(instances)  not released")
            for stream in state.streams {
                let empty = stream.lumis.filter { $0.files == 0 && $0.state == .finalClosed }.count
                output.line("  stream \(stream.stream): \(stream.lumis.count) lumis: \(stream.lumis(.finalClosed).count) final-closed"
                            + (empty > 0 ? " (\(empty) empty)" : "") + ", \(stream.lumis(.closed).count) closed waiting for streamers, "
                            + "\(stream.lumis(.open).count) open" + openList(stream))
            }
        }
    }

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
