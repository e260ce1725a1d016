import Commands
import JobSplitting
import SpoolKit
import SpoolLayout
import Tier0
import WMCore

/// The feeder's PromptReco side (§A.2 `reco_release_config`, §A.4 release), after the runs' streams are configured,
/// fed and closed:
///
/// 1. **Book**: each primary dataset (with `doReco`) of a run's configured Repack workflow gets a release row
///    (`t0/runs/<r>/reco/<PD>.json`, waiting). The run's stop time is the feeder's clock the first cycle it finds the
///    run ended (every storage-manager instance reported its end): this project has no OMS, and a replay's streamers
///    are registered as they come, so the moment the end is seen is the run's stop (§A.3 "Stop").
/// 2. **Release**: `PromptRecoRelease.advance` over every row not released — lowest run first, locked at
///    stop + delay − offset, released at stop + delay (the dataset's delays); `promptReco.enabled` false or the hold
///    switch (`t0/hold-promptreco`) holds every release. A row an operator asked to release (`wmctl t0 release`
///    leaves `reco/<PD>.force`) is locked with no delay once its run has stopped, and released by the same step —
///    out of run order, but not through the hold.
/// 3. **Configure**: a released row gets its `PromptReco_Run<r>_<PD>` workload stored and injected into WMBS on the
///    open fileset `Run<r>_<PD>_RAW`, recorded in `t0/runs/<r>/workflows/` as the stream workflows are.
/// 4. **Feed and close**: the catalog's files of `/<PD>/<Era>-v<N>/RAW` in run r are added to the fileset as they
///    appear (adding is idempotent: every RAW file is read once). The fileset closes once every Repack workflow of
///    the run making the PD is closed and archived (its `.closed` marker exists and `wmbs/<workflow>` is gone) and the
///    DBS buffer holds no file of the RAW dataset not uploaded yet: the catalog then has all of it.
///
/// Every step is effects first and idempotent, so a cycle replayed after `kill -9` ends the same.
struct T0PromptReco {
    let spool: Spool
    let configuration: Tier0Configuration
    let streams: T0StreamFeeding
    let log: Logger
    let now: Double

    /// What one cycle did.
    struct Outcome {
        /// Rows booked or moved (waiting → locked → released), stop times recorded.
        var changed = 0
        /// PromptReco workflows configured.
        var configured = 0
        /// RAW files fed.
        var fed = 0
        /// Filesets closed.
        var closed = 0

        /// Everything done.
        var total: Int { changed + configured + fed + closed }
    }

    /// Books, releases, configures, feeds and closes.
    func cycle() throws -> Outcome {
        var outcome = Outcome()
        let store = PromptRecoReleaseStore(spool: spool)
        var records: [PromptRecoReleaseRecord] = []
        var changed: [Int: PromptRecoReleaseRecord] = [:]   // by index in `records`: what to save
        for run in try Tier0RunStore(spool: spool).runs() {
            let booked: (stored: [PromptRecoReleaseRecord], current: [PromptRecoReleaseRecord])
            do { booked = try book(run: run, store: store) } catch {
                log.error("PromptReco of the run skipped: its release rows can't be read", ["run": String(run), "problem": "\(error)"])
                continue
            }
            for record in booked.current {
                if !booked.stored.contains(record) { changed[records.count] = record }
                records.append(record)
            }
        }
        let held = store.isHeld || !configuration.promptReco.enabled
        let rows = PromptRecoRelease.advance(records.map(\.row), now: Int(now), held: held, delays: configuration.recoDelay)
        for (index, row) in rows.enumerated() where row != records[index].row {
            let moved = records[index].applying(row, now: Int(now), delays: configuration.recoDelay(dataset: row.dataset))
            log.info(moved.state == .released ? "PromptReco released" : "PromptReco locked",
                     ["run": String(moved.run), "dataset": moved.dataset, "stopTime": String(moved.stopTime)])
            records[index] = moved
            changed[index] = moved
        }
        try store.save(changed.keys.sorted().map { records[$0] })
        for record in records where record.state == .released || record.forced == true {
            try store.clearReleaseRequest(run: record.run, dataset: record.dataset)   // applied, or moot once released
        }
        outcome.changed = changed.count
        var pending: Set<String>?
        for record in records where record.state == .released {
            try process(record, pendingUploads: &pending, outcome: &outcome)
        }
        return outcome
    }

    /// The release rows of `run` as stored, and with the new ones booked and the stop time set (not saved yet).
    func book(run: Int, store: PromptRecoReleaseStore) throws -> (stored: [PromptRecoReleaseRecord], current: [PromptRecoReleaseRecord]) {
        let stored = try store.records(run: run)
        guard let state = try Tier0RunStore(spool: spool).state(run: run), let key = state.hltKey,
              let menu = configuration.menus[key] else { return (stored, stored) }
        var records = stored
        let workflows = Layout.tier0Run(run).workflows
        for stream in state.streams.map(\.stream) where repackVersion(stream) != nil
            && spool.contains(Tier0Names.repackWorkflow(run: run, stream: stream), in: workflows) {
            for dataset in menu.datasets(stream: stream) where configuration.dataset(dataset).doReco
                && PromptRecoReleaseStore.fileName(dataset: dataset) != nil && !records.contains(where: { $0.dataset == dataset }) {
                records.append(PromptRecoReleaseRecord(run: run, dataset: dataset))
            }
        }
        if state.ended {
            for index in records.indices where records[index].stopTime == 0 { records[index].stopTime = Int(now) }
        }
        // An operator's release request (`wmctl t0 release`): locked with no delay once the run has stopped, so the
        // release step below releases it now, whatever run order and delays say (the hold still holds it).
        for index in records.indices where records[index].stopTime > 0 && records[index].state != .released && records[index].forced != true
            && store.isReleaseRequested(run: run, dataset: records[index].dataset) {
            records[index] = records[index].applying(.init(run: run, dataset: records[index].dataset, stopTime: records[index].stopTime,
                                                           state: .locked(delay: 0, offset: 0)), now: Int(now))
            records[index].forced = true
            log.info("PromptReco release forced by an operator", ["run": String(run), "dataset": records[index].dataset])
        }
        return (stored, records)
    }

    /// The processing version of a Bulk stream, nil for any other style.
    func repackVersion(_ stream: String) -> Int? {
        if case .bulk(let settings) = configuration.stream(stream) { return settings.processingVersion }
        return nil
    }

    /// The Bulk streams of `run` whose menu puts `dataset` in them.
    func repackStreams(of dataset: String, run: Int, menu: TriggerMenu, state: Tier0RunState) -> [String] {
        state.streams.map(\.stream).filter { repackVersion($0) != nil && menu.datasets(stream: $0).contains(dataset) }
    }

    /// Configures a released row's workflow (once), feeds its fileset from the catalog, and closes it when the RAW is
    /// complete. `pendingUploads`: the datasets with files in the DBS buffer not uploaded yet, read once when needed.
    func process(_ record: PromptRecoReleaseRecord, pendingUploads: inout Set<String>?, outcome: inout Outcome) throws {
        let run = record.run
        let folders = Layout.tier0Run(run)
        let workflow = Tier0Names.promptRecoWorkflow(run: run, dataset: record.dataset)
        if spool.contains(workflow + ".closed", in: folders.workflows) { return }
        guard let state = try Tier0RunStore(spool: spool).state(run: run), let key = state.hltKey, let menu = configuration.menus[key],
              let stream = repackStreams(of: record.dataset, run: run, menu: menu, state: state).first,
              let version = repackVersion(stream) else { return }
        let fileset = Tier0Workloads.recoFileset(run: run, dataset: record.dataset)
        if !spool.contains(workflow, in: folders.workflows) {
            let workload = Tier0Workloads.promptReco(run: run, dataset: record.dataset, repackVersion: version, configuration: configuration)
            try spool.ensureDirectories([folders.workflows])
            try streams.configure(workload, run: run, stream: nil, fileset: fileset, folders: folders)
            outcome.configured += 1
        }
        let raw = Tier0Names.repackDataset(record.dataset, era: configuration.acquisitionEra, version: version).description
        // Decided before feeding: a file published between the feed and the close would otherwise be left out.
        let repacked = repackStreams(of: record.dataset, run: run, menu: menu, state: state).allSatisfy { stream in
            let repack = Tier0Names.repackWorkflow(run: run, stream: stream)
            return spool.contains(repack + ".closed", in: folders.workflows) && !spool.isFolder(Layout.wmbs(repack).root)
        }
        var complete = false
        if repacked {
            if pendingUploads == nil { pendingUploads = try datasetsWaitingForUpload() }
            complete = !(pendingUploads ?? []).contains(raw)
        }
        outcome.fed += try feed(raw, run: run, workflow: workflow, fileset: fileset)
        if complete {
            try streams.close(workflow, fileset: fileset, folders: folders)
            outcome.closed += 1
        }
    }

    /// Adds the catalog's files of `dataset` in `run` to the fileset (those it has are skipped); returns how many were new.
    func feed(_ dataset: String, run: Int, workflow: String, fileset: String) throws -> Int {
        guard let catalog = CatalogStore(spool: spool).dataset(named: dataset) else { return 0 }
        let files = WMBSInjector.splitFiles(of: catalog.select(InputSelection(runWhitelist: [run])), insertTime: now)
        guard !files.isEmpty else { return 0 }
        let wmbs = WMBSStore(spool: spool)
        var added = 0
        try spool.inBatch { batch in added = try wmbs.add(files, toFileset: fileset, workflow: workflow, in: batch) }
        if added > 0 { log.info("RAW files fed", ["workflow": workflow, "dataset": dataset, "subscriptionFiles": String(added)]) }
        return added
    }

    /// The datasets with a file in the DBS buffer not in the catalog yet (`dbsbuffer/files/`, `dbsbuffer/assigned/`).
    /// A file that can't be read counts for no dataset (wm-dbsupload quarantines it).
    func datasetsWaitingForUpload() throws -> Set<String> {
        var datasets = Set<String>()
        for folder in [AccountingAreas.dbsBufferFiles, AccountingAreas.dbsBufferAssigned] {
            for name in try spool.scan(folder).names {
                guard let bytes = try? spool.read(name, in: folder),
                      let file = try? decodeDocument(DBSBufferFile.self, bytes, file: folder + "/" + name) else { continue }
                datasets.insert(file.dataset)
            }
        }
        return datasets
    }
}
