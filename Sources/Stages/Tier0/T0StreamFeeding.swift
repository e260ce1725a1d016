import Foundation
import Commands
import JobSplitting
import SpoolKit
import SpoolLayout
import Tier0
import WMCore

/// The feeder's WMBS side for one run (§A.2 configure, §A.3 feed and close), after registration:
///
/// 1. **Configure**: once the run document came and its HLT key has a menu, each Bulk or Express stream that sent
///    data gets its workload (`Tier0Workloads`) stored and injected into WMBS with its open fileset `Run<r>_Stream<s>`;
///    `t0/runs/<r>/workflows/<workflow>` records it, so a workflow WMBS forgot after it finished is never made again.
/// 2. **Feed**: the streamers of final-closed lumis are copied into the Tier-0 disk (`storage/T0_CH_CERN_Disk`, by
///    LFN: the path a storage manager gave is read once, as hostile input) and added to the fileset with insert time
///    now (the splitters' age clock); their documents then move from `streamers/` to `fed/`.
/// 3. **Close**: once the run ended and every lumi 1…lumicount of the stream is final-closed and fed, the fileset
///    closes and the workflow is marked injected, so WMBS closes its children as they finish (`<workflow>.closed`).
///
/// Every step is effects first and idempotent, so a cycle replayed after `kill -9` ends the same.
struct T0StreamFeeding {
    let spool: Spool
    let configuration: Tier0Configuration
    let injector: WMBSInjector
    let log: Logger
    let now: Double

    /// What one run's pass did.
    struct Outcome {
        var configured = 0
        var fed = 0
        var closed = 0
    }

    /// Configures, feeds and closes the streams of `run`.
    func pass(_ registered: Tier0RunStore.RegisteredRun) throws -> Outcome {
        var outcome = Outcome()
        let ledger = registered.ledger
        let run = ledger.run
        guard let document = registered.document else { return outcome }   // configured once the run document came
        if document.setupLabel == "Emulation" && !configuration.storageManager.emulationRepack { return outcome }
        guard let menu = configuration.menus[document.hltKey] else {
            log.warning("run waits: its HLT key has no menu in etc/t0.json", ["run": String(run), "hltKey": document.hltKey])
            return outcome
        }
        let folders = Layout.tier0Run(run)
        try spool.ensureDirectories([folders.workflows, folders.fed])
        var fed = registered.fed
        for stream in ledger.streams {
            guard let workload = Tier0Workloads.workload(run: run, stream: stream, menu: menu, configuration: configuration) else { continue }
            let workflow = workload.name
            if spool.contains(workflow + ".closed", in: folders.workflows) { continue }
            let fileset = Tier0Workloads.streamFileset(run: run, stream: stream)
            if !spool.contains(workflow, in: folders.workflows) {
                try configure(workload, run: run, stream: stream, fileset: fileset, folders: folders)
                outcome.configured += 1
            }
            let feedable = ledger.feedable(stream: stream, fed: fed)
            if !feedable.isEmpty {
                let done = try feed(feedable, run: run, workflow: workflow, fileset: fileset, folders: folders)
                fed.formUnion(done)
                outcome.fed += done.count
            }
            if ledger.isFilesetClosable(stream: stream, fed: fed) {
                try close(workflow, fileset: fileset, folders: folders)
                outcome.closed += 1
            }
        }
        return outcome
    }

    /// Stores the workload, creates its WMBS objects reading `fileset`, then records the workflow. `stream`: the
    /// stream a Repack or Express workflow reads (nil for PromptReco, which reads a dataset).
    func configure(_ workload: Workload, run: Int, stream: String?, fileset: String, folders: Layout.Tier0RunFolders) throws {
        guard let top = workload.tasks.first else { return }
        let wmbs = WMBSStore(spool: spool)
        var plan = injector.planTree(workload: workload, top: top, topFileset: fileset, topSubscription: top.name,
                                     placement: .init(priority: Tier0Workloads.priority(of: workload.requestType)))
        for index in plan.subscriptions.indices {
            plan.subscriptions[index].parameters[Tier0SubscriptionKeys.run] = .int(run)
            if let stream { plan.subscriptions[index].parameters[Tier0SubscriptionKeys.stream] = .string(stream) }
        }
        try spool.ensureDirectories([ElementStore.workloads])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try spool.inBatch { batch in
            if !spool.contains(workload.name + ".json", in: ElementStore.workloads) {
                try batch.publish(Array(try encoder.encode(workload)), as: workload.name + ".json", in: ElementStore.workloads)
            }
            try wmbs.create(workflow: workload.name, subscriptions: plan.subscriptions, filesets: plan.filesets, in: batch)
        }
        _ = try spool.publish(Array("\(now)\n".utf8), as: workload.name, in: folders.workflows)
        log.info("workflow configured", ["run": String(run), "stream": stream ?? "-", "workflow": workload.name, "fileset": fileset,
                                         "subscriptions": String(plan.subscriptions.count)])
    }

    /// Copies the streamers to the Tier-0 disk, adds them to the fileset, then moves their documents to `fed/`.
    /// Returns the LFNs fed. A streamer whose file can't be copied (missing, a link, not a regular file, not the size
    /// its document announced) has its document quarantined to `t0/runs/<run>/corrupt/` with the reason.
    func feed(_ streamers: [StreamerDocument], run: Int, workflow: String, fileset: String,
              folders: Layout.Tier0RunFolders) throws -> Set<String> {
        var files: [SplitFile] = []
        var names: [String] = []
        for streamer in streamers {
            let pfn = spool.path(Layout.storage(Tier0Workloads.location)) + streamer.lfn
            do {
                try spool.copyRegularFile(from: streamer.path, to: pfn, expectedSize: streamer.size)
            } catch {
                // Quarantined once with the reason; its lumi is no longer final-closed, so the run waits (visible in
                // `wmctl t0 runs`) until an operator fixes the file and drops the document into t0/incoming/ again.
                let name = Tier0RunStore.place(of: .streamer(streamer)).name
                let reason = "streamer \(streamer.lfn) of run \(run) lumi \(streamer.lumi): its file can't be fed: \(error.description)"
                log.error("streamer quarantined: its file can't be read", ["run": String(run), "lfn": streamer.lfn, "problem": error.description])
                _ = try spool.quarantine(name, in: folders.streamers, reason: reason)
                continue
            }
            files.append(SplitFile(lfn: streamer.lfn, size: streamer.size, events: streamer.events, locations: [Tier0Workloads.location],
                                   runs: [FileRun(run: run, lumis: [streamer.lumi])], insertTime: now))
            names.append(Tier0RunStore.place(of: .streamer(streamer)).name)
        }
        guard !files.isEmpty else { return [] }
        let wmbs = WMBSStore(spool: spool)
        try spool.inBatch { batch in _ = try wmbs.add(files, toFileset: fileset, workflow: workflow, in: batch) }
        try spool.inBatch { batch in
            for name in names where spool.contains(name, in: folders.streamers) {
                _ = try batch.move(name, from: folders.streamers, to: folders.fed)
            }
        }
        log.info("streamers fed", ["workflow": workflow, "files": String(files.count),
                                   "lumis": String(Set(streamers.map(\.lumi)).count)])
        return Set(files.map(\.lfn))
    }

    /// Closes the fileset and marks the workflow injected, then records it closed.
    func close(_ workflow: String, fileset name: String, folders: Layout.Tier0RunFolders) throws {
        let wmbs = WMBSStore(spool: spool)
        if var fileset = try wmbs.fileset(workflow, name), fileset.open {
            fileset.open = false
            try spool.inBatch { try wmbs.save(fileset, workflow: workflow, in: $0) }
        }
        try wmbs.markInjected(workflow)
        _ = try spool.publish(Array("\(now)\n".utf8), as: workflow + ".closed", in: folders.workflows)
        log.info("run/stream fileset closed", ["workflow": workflow, "fileset": name])
    }
}

/// The parameters the feeder adds to every subscription of a Tier-0 workflow: its run and stream (the job creator
/// reads the run's closed empty lumis with them).
enum Tier0SubscriptionKeys {
    /// The run number.
    static let run = "tier0Run"
    /// The stream name.
    static let stream = "tier0Stream"
}
