import Commands
import SpoolKit
import SpoolLayout
import Tier0
import WMCore

/// `wm-t0feeder`: the Tier-0 feeder's cycle (§A.1, §A.3, §A.4): registers every storage-manager document
/// waiting in `t0/incoming/` into its run's folder (`Tier0RunStore`), then records each touched run's closeout
/// state (`t0/runs/<run>/state.json`: closed and final-closed lumis per stream, run ended, lumi count); then
/// configures, feeds and closes each run's streams (`T0StreamFeeding`), and last books, releases, feeds and closes
/// PromptReco (`T0PromptReco`).
///
/// Hostile input: a document that can't be read or decoded, or that contradicts one registered before, goes to
/// `t0/corrupt/` once with its reason (file, field, found, allowed); the cycle carries on. A second delivery of
/// a registered document (same LFN, same report) is idempotent: it is removed, nothing changes.
///
/// Crash safety: the registered documents and the new states are committed first, the incoming documents are
/// removed after; a cycle replayed after `kill -9` finds them registered (duplicates) and ends the same.
public struct T0FeederStage: StageCycle {
    public let name = "wm-t0feeder"
    public var placement: StagePlacement { .allInOneOnly }

    /// Makes the stage.
    public init() {}

    /// What registering one incoming document decided.
    enum Decision {
        /// New: publish it in its run's folder, then remove it from incoming.
        case register(folder: String, name: String, bytes: [UInt8])
        /// Registered before: remove it from incoming.
        case duplicate
        /// Can't be registered: quarantine it with the reason.
        case refuse(String)
    }

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let spool = context.spool
        let configuration = try context.tier0Configuration()
        let store = Tier0RunStore(spool: spool)
        let dryRun = context.options.dryRun
        let scan = try spool.scan(Layout.tier0Incoming, order: .name)
        var report = CycleReport()
        for ignored in scan.ignored {
            context.log.warning("quarantined: \(ignored.explanation)", ["file": Layout.tier0Incoming + "/" + ignored.name])
            if !dryRun { try spool.quarantine(ignored, in: Layout.tier0Incoming) }
            report.quarantined += 1
        }
        // Only `*.json` is a document (the Interface); other names are writes in progress or not ours.
        let names = scan.names.filter { $0.hasSuffix(".json") }
        let batch = names.prefix(context.options.batchSize)
        var runs: [Int: Tier0RunStore.RegisteredRun] = [:]
        var handled: [String] = []
        var registrations: [(folder: String, name: String, bytes: [UInt8])] = []
        for name in batch {
            let decision = try decide(name, store: store, configuration: configuration, runs: &runs, context: context)
            switch decision {
            case .register(let folder, let target, let bytes):
                context.log.debug("registered", ["file": name, "as": folder + "/" + target])
                registrations.append((folder, target, bytes))
                handled.append(name)
            case .duplicate:
                context.log.debug("already registered", ["file": name])
                handled.append(name)
            case .refuse(let reason):
                context.log.warning("quarantined: \(reason)", ["file": Layout.tier0Incoming + "/" + name])
                if !dryRun { try spool.quarantine(name, in: Layout.tier0Incoming, reason: reason) }
                report.quarantined += 1
            }
        }
        report.done = handled.count
        report.backlog = names.count - batch.count
        if dryRun {
            for r in registrations { context.log.info("would register", ["as": r.folder + "/" + r.name]) }
            for run in runs.keys.sorted() { context.log.info("would record the state of run \(run)") }
            return report   // configuring, feeding and closing change WMBS: nothing of them under --dry-run
        }
        if !runs.isEmpty || !handled.isEmpty {
            // Effects first: the registered documents and the states, in one commit; then the incoming documents go.
            try spool.inBatch { commit in
                for r in registrations {
                    try spool.ensureDirectories([r.folder])
                    try commit.publish(r.bytes, as: r.name, in: r.folder)
                }
                for run in runs.keys.sorted() {
                    let state = Tier0RunState(runs[run]!)
                    if try store.state(run: run) != state { try store.stage(state, in: commit) }
                }
            }
            try spool.inBatch { commit in
                for name in handled { commit.discard(name, in: Layout.tier0Incoming) }
            }
        }
        // No run registered (every spool `wmagent init` makes, until a storage manager writes): nothing to configure,
        // and no reason to read etc/agent.json on every cycle of `wmagent run`.
        guard try !store.runs().isEmpty else { return report }
        let feeding = T0StreamFeeding(spool: context.spool, configuration: configuration,
                                      injector: WMBSInjector(baggage: try context.agentConfiguration().jobBaggage),
                                      log: context.log, now: context.now())
        try feedStreams(store: store, feeding: feeding, context: context, report: &report)
        if StopSignal.isRequested { return report }
        // PromptReco after the runs' streams (T0's cycle releases it after configuring and closing runs, §A).
        let reco = try T0PromptReco(spool: spool, configuration: configuration, streams: feeding, log: context.log, now: context.now()).cycle()
        report.done += reco.total
        return report
    }

    /// Configures, feeds and closes the streams of every run not finished yet (`T0StreamFeeding`), lowest run first.
    func feedStreams(store: Tier0RunStore, feeding: T0StreamFeeding, context: StageContext, report: inout CycleReport) throws {
        let configuration = feeding.configuration
        for run in try store.runs() {
            if StopSignal.isRequested { return }
            let state = try store.state(run: run)
            if let state, state.hltKey == nil || (!state.isOpen && isFinished(run, state: state, context: context)) { continue }
            let registered: Tier0RunStore.RegisteredRun
            do {
                registered = try store.load(run: run, configuredInstances: configuration.storageManager.instances)
            } catch {
                context.log.error("run skipped: its registered documents can't be read", ["run": String(run), "problem": "\(error)"])
                continue
            }
            if state == nil {
                // The summary was removed (by hand): rebuilt from the registered documents, which are the state.
                try context.spool.inBatch { try store.stage(Tier0RunState(registered), in: $0) }
                context.log.warning("run state rebuilt from its registered documents", ["run": String(run)])
                if registered.document == nil { continue }
            }
            let outcome = try feeding.pass(registered)
            report.done += outcome.configured + outcome.fed + outcome.closed
        }
    }

    /// True when every stream of a closed-out run has its workflow closed: nothing left to feed. Every stream that
    /// sent data needs its own `.closed` marker: a stream whose workflow a kill left unrecorded (WMBS made, marker
    /// not yet written) is not finished because another stream's is.
    func isFinished(_ run: Int, state: Tier0RunState, context: StageContext) -> Bool {
        let folder = Layout.tier0Run(run).workflows
        guard let names = try? context.spool.scan(folder).names, !names.isEmpty else { return false }
        let everyRecordedClosed = names.allSatisfy { $0.hasSuffix(".closed") || names.contains($0 + ".closed") }
        let everyStreamClosed = state.streams.allSatisfy { stream in
            names.contains { $0.hasSuffix("_Stream" + stream.stream + ".closed") }
        }
        return everyRecordedClosed && everyStreamClosed
    }

    /// Reads, decodes and records one incoming document against its run (loaded from its folder on first use).
    func decide(_ name: String, store: Tier0RunStore, configuration: Tier0Configuration,
                runs: inout [Int: Tier0RunStore.RegisteredRun], context: StageContext) throws -> Decision {
        let file = Layout.tier0Incoming + "/" + name
        let bytes: [UInt8]
        do {
            guard let read = try context.spool.read(name, in: Layout.tier0Incoming, limit: StorageManagerDocument.maximumBytes) else {
                return .duplicate   // another feeder took it
            }
            bytes = read
        } catch let refused as RefusedFile {
            return .refuse(refused.description(naming: file))
        }
        let document: StorageManagerDocument
        do { document = try StorageManagerDocument(validating: bytes, file: file) } catch { return .refuse(error.description) }
        var run = try runs[document.run]
            ?? store.load(run: document.run, configuredInstances: configuration.storageManager.instances)
        let outcome = run.record(document)
        runs[document.run] = run
        switch outcome {
        case .recorded:
            let place = Tier0RunStore.place(of: document)
            // A different key spelled as the same file name (only possible through the MD5 fallback) is a conflict.
            if context.spool.contains(place.name, in: place.folder) {
                return .refuse("\(file): \(place.folder)/\(place.name) already holds another document")
            }
            return .register(folder: place.folder, name: place.name, bytes: bytes)
        case .duplicate:
            return .duplicate
        case .conflict(let reason):
            return .refuse("\(file): conflicts with a registered document: \(reason)")
        }
    }
}

extension StageContext {
    /// The Tier-0 configuration, read afresh from `<spool>/etc/t0.json`. Missing or malformed is an error.
    public func tier0Configuration() throws -> Tier0Configuration {
        try Tier0Configuration.load(path: spool.path(Layout.tier0Configuration))
    }
}
