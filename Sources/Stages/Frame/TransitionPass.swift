import Commands
import SpoolKit
import SpoolLayout
import WMCore

/// The shared shape of most stages: take a bounded batch from one state folder, decide each
/// document's next state, and move them all with their new content in one group commit.
public struct TransitionPass<Body: SpoolDocumentBody> {
    /// The area the documents live in.
    public let area: DocumentArea<Body>
    /// The stage name, recorded as the actor of each transition.
    public let actor: String

    /// Makes a pass.
    public init(area: DocumentArea<Body>, actor: String) {
        self.area = area
        self.actor = actor
    }

    /// Processes the documents of `state`, `batchSize` at a time with one group commit per batch.
    ///
    /// At most `maxDocuments` are looked at (in `order`), so a stage that only needs the head of a
    /// queue stays cheap. `decide` may change the document (it records transitions with
    /// `transition(to:actor:reason:at:)`); the document is then moved to the folder of its new state
    /// with its new content. A document whose state did not change stays where it is, rewritten only
    /// when `decide` returned true (e.g. to record a batch id). An error thrown by `decide` quarantines
    /// that one document with the error's text, and the stage carries on.
    public func run(_ state: Body.State, batchSize: Int, maxDocuments: Int = Int.max, context: StageContext,
                    order: ScanOrder = .name, decide: (inout Annotated<Body>) throws -> Bool) throws -> CycleReport {
        let names = try area.scan(state, limit: maxDocuments, order: order, log: context.log)
        return try run(names[...], in: state, batchSize: batchSize, context: context, decide: decide)
    }

    /// Processes the named documents of `state` (names from an earlier scan), `batchSize` at a time.
    /// Documents in `loaded` were just read by the caller in this stage cycle and are not read again.
    func run(_ names: ArraySlice<String>, in state: Body.State, batchSize: Int, context: StageContext,
             loaded: [String: Annotated<Body>] = [:], decide: (inout Annotated<Body>) throws -> Bool) throws -> CycleReport {
        var report = CycleReport()
        var waiting = 0
        var start = names.startIndex
        while start < names.endIndex && !StopSignal.isRequested {
            let chunk = names[start..<min(names.endIndex, start + max(1, batchSize))]
            start += chunk.count
            try runBatch(chunk, state: state, context: context, loaded: loaded, report: &report, waiting: &waiting, decide: decide)
        }
        // A document `decide` left where it is waits for something (its cool-off, a delay, the batch system):
        // it is not backlog. Backlog is what should have moved and did not — `wmctl status` calls a stage
        // STUCK on it.
        report.backlog = names.count - report.done - report.quarantined - waiting
        return report
    }

    private func runBatch(_ names: ArraySlice<String>, state: Body.State, context: StageContext, loaded preloaded: [String: Annotated<Body>],
                          report: inout CycleReport, waiting: inout Int, decide: (inout Annotated<Body>) throws -> Bool) throws {
        let batch = SpoolBatch(spool: area.spool)
        let from = area.folder(state)
        for name in names {
            if StopSignal.isRequested { break }
            let loaded = try preloaded[name].map { .document($0) } ?? area.load(name, in: state, now: context.now(), log: context.log)
            guard case .document(let original) = loaded else {
                if case .quarantined = loaded { report.quarantined += 1 }
                continue
            }
            var doc = original
            let rewrite: Bool
            do {
                rewrite = try decide(&doc)
            } catch {
                let reason = "\(from)/\(area.fileName(name)): \(error)"
                context.log.warning("quarantined", ["file": from + "/" + area.fileName(name), "reason": "\(error)"])
                if !context.options.dryRun { try area.spool.quarantine(area.fileName(name), in: from, reason: reason) }
                report.quarantined += 1
                continue
            }
            if doc.state == state && !rewrite { waiting += 1; continue }
            if context.options.dryRun {
                context.log.info("would move", ["document": name, "from": state.rawValue, "to": doc.state.rawValue])
                continue
            }
            if doc.state == state {
                waiting += 1
                try batch.replaceContent(of: area.fileName(name), in: from, with: try area.encode(doc))
            } else {
                let outcome = try area.move(doc, original: original, from: state, batch: batch)
                if outcome != .moved {
                    context.log.warning("move not made", ["document": name, "to": doc.state.rawValue, "outcome": "\(outcome)"])
                    continue
                }
            }
            if doc.state != state { report.done += 1 }
        }
        try batch.commit()
    }
}
