import Commands
import SpoolKit
import WMCore

extension TransitionPass {
    /// A `TransitionPass` for stages whose moves have side effects (files recorded, blocks uploaded, replicas
    /// announced): for each batch, every side effect is made durable in one group commit **before** any
    /// document moves, then the documents move in a second group commit.
    ///
    /// A crash before the first commit changes nothing visible; a crash between the two leaves the documents
    /// where they were with their effects recorded, and the replay must then find the effects already done
    /// (`plan` and `apply` are written to be idempotent). A document is never moved without its effects.
    ///
    /// - Parameters:
    ///   - plan: reads (never writes) and decides every document of the batch; a per-document error
    ///     quarantines that document.
    ///   - apply: stages the side effects of the batch's plans into the batch (moves outside the spool may
    ///     happen at once; they must be replayable).
    ///   - decide: records the transition a plan calls for.
    ///   - maxDocuments: at most this many documents of `state` are taken this cycle (the first by name).
    public func runEffectsFirst<Plan>(_ state: Body.State, batchSize: Int, maxDocuments: Int = Int.max, context: StageContext,
                                      plan: ([Annotated<Body>]) throws -> [String: Result<Plan, any Error>],
                                      apply: ([Plan], SpoolBatch) throws -> Void,
                                      decide: (inout Annotated<Body>, Plan) throws -> Void) throws -> CycleReport {
        var report = CycleReport()
        // One scan per cycle; documents arriving meanwhile wait for the next cycle.
        let all = try area.scan(state, limit: maxDocuments, log: context.log)
        var next = 0
        while next < all.count && !StopSignal.isRequested {
            let started = WallClock.now()
            let names = all[next..<min(all.count, next + max(1, batchSize))]
            next += names.count
            var documents: [Annotated<Body>] = []
            for name in names {
                switch try area.load(name, in: state, now: context.now(), log: context.log) {
                case .document(let doc): documents.append(doc)
                case .quarantined: report.quarantined += 1
                case .gone: continue
                }
            }
            let planned = WallClock.now()
            let plans = try plan(documents)
            let applied = WallClock.now()
            if !context.options.dryRun {
                let ready = documents.compactMap { doc -> Plan? in
                    if case .success(let p) = plans[doc.name] { return p }
                    return nil
                }
                try area.spool.inBatch { batch in try apply(ready, batch) }
            }
            let effected = WallClock.now()
            let moved = try run(names, in: state, batchSize: names.count, context: context,
                                loaded: Dictionary(documents.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })) { doc in
                guard let planned = plans[doc.name] else { return false }
                try decide(&doc, try planned.get())
                return true
            }
            let finished = WallClock.now()
            context.log.info("batch committed", ["stage": actor, "documents": String(documents.count), "moved": String(moved.done),
                                                 "loadMs": Self.milliseconds(planned - started), "planMs": Self.milliseconds(applied - planned),
                                                 "effectsMs": Self.milliseconds(effected - applied), "moveMs": Self.milliseconds(finished - effected)])
            report.done += moved.done
            report.quarantined += moved.quarantined
        }
        report.backlog = try area.spool.scan(area.folder(state)).names.count
        return report
    }

    /// Seconds as whole milliseconds, for the per-phase timings in the batch log line.
    static func milliseconds(_ seconds: Double) -> String { String(Int((seconds * 1000).rounded())) }
}
