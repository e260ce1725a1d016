import JobSplitting
import SpoolKit
import SpoolLayout
import Tier0
import WMCore

/// Reads what a Tier-0 splitter needs besides the available files (T0's `GetAvailable*Files` DAOs) from WMBS and the
/// feeder's run state, and runs the split (`Tier0Splitting.split`):
/// - used lumis: lumis of the subscription's acquired, completed and failed files; for Repack and RepackMerge, also
///   the lumis the storage managers closed empty (files 0) for the stream; for RepackMerge, also the lumis of the
///   Repack outputs that went straight to merge (`straightToMergeLumis`);
/// - active split lumis (RepackMerge, ExpressMerge): the producing subscription's split-lumi records not finished yet
///   (fewer of the lumi's files completed than were split);
/// - whether the input fileset is closed;
/// - AlcaHarvest: whether the subscription took files already (a job group was made); the run's stop time is not
///   known here, so the newest insert time of the files stands in for it (T0's rule when `stop_time` is 0).
struct Tier0SplitReader {
    let store: WMBSStore
    let workflow: String
    let subscription: Subscription
    let fileset: Fileset?

    func split(_ algorithm: Tier0Algorithm, files: [SplitFile], now: Double) throws -> Tier0Splitting.SubscriptionSplit {
        var used: Set<Int> = []
        var taken = false
        for state in [FileState.acquired, .completed, .failed] {
            for entry in try store.files(workflow, subscription.name, in: state) {
                taken = true
                for run in entry.file.runs { used.formUnion(run.lumis) }
            }
        }
        if algorithm == .repack || algorithm == .repackMerge { used.formUnion(try emptyClosedLumis()) }
        if algorithm == .repackMerge { used.formUnion(try straightToMergeLumis()) }
        var active: Set<Int> = []
        if algorithm == .repackMerge || algorithm == .expressMerge {
            active = try activeSplitLumis()
        }
        return try Tier0Splitting.split(algorithm, files: files, parameters: SplitParameters(subscription.parameters), usedLumis: used,
                                        filesetClosed: !(fileset?.open ?? true), now: now, activeSplitLumis: active,
                                        jobGroupCreated: taken, locations: files.first?.locations ?? [])
    }

    /// The stream's lumis the storage managers closed with no file (§A.6: they count as used, so no hole waits on them).
    func emptyClosedLumis() throws -> Set<Int> {
        guard let run = subscription.parameters[Tier0SubscriptionKeys.run]?.intValue,
              let stream = subscription.parameters[Tier0SubscriptionKeys.stream]?.stringValue,
              let state = try Tier0RunStore(spool: store.spool).state(run: run),
              let lumis = state.streams.first(where: { $0.stream == stream })?.lumis else { return [] }
        return Set(lumis.filter { $0.files == 0 && $0.state != .open }.map(\.lumi))
    }

    /// RepackMerge (§A.6 "lumis already in its `Merged` output"): the lumis of the Repack outputs that went straight
    /// to merge (size ≥ minMergeSize or events ≥ maxMergeEvents: the accountant gave them their merged LFN). The
    /// `Merged` fileset has no consumer, so WMBS keeps no file of it; the producing subscription's accounting records
    /// say which successful attempt recorded this input's module as merged, and a Repack output lists every lumi its
    /// job read, so its lumis are those of the job's input streamers (the job's own document in the producer's
    /// `completed/`). The merges' own `Merged` files need nothing here: their inputs are this subscription's
    /// completed files.
    func straightToMergeLumis() throws -> Set<Int> {
        var lumis: Set<Int> = []
        for producer in fileset?.producers ?? [] {
            guard let producing = try store.subscription(workflow, producer) else { continue }
            let modules = Set(producing.outputs.filter { $0.value.unmergedFilesets.contains(subscription.inputFileset) }.keys)
            guard !modules.isEmpty else { continue }
            let prefix = JobName.subscriptionPrefix(workflowKey: WMBSStore.workflowKey(workflow), subscription: producer)
            let completed = store.fileFolder(workflow, producer, .completed)
            for name in try store.spool.scan(AccountingAreas.reports(workflow)).names where name.hasPrefix(prefix + "-") {
                for record in try AccountingRecords.records(inFile: name, spool: store.spool, workflow: workflow)
                where JobName.subscriptionPrefix(of: record.job) == Substring(prefix) && record.outcome == JobState.success.rawValue
                    && record.outputs.contains(where: { $0.merged && modules.contains($0.module) }) {
                    guard let document = try store.document(WMBSStore.jobBundleName(record.job), in: completed) else { continue }
                    for file in document.files { for run in file.runs { lumis.formUnion(run.lumis) } }
                }
            }
        }
        return lumis
    }

    /// Lumis of the producing subscription with a split-lumi record whose files have not all completed.
    func activeSplitLumis() throws -> Set<Int> {
        var active: Set<Int> = []
        for producer in fileset?.producers ?? [] {
            let records = try Tier0SplitLumiStore(spool: store.spool).records(workflow, producer)
            guard !records.isEmpty else { continue }
            var completed: [Int: Int] = [:]
            for entry in try store.files(workflow, producer, in: .completed) {
                for run in entry.file.runs { for lumi in Set(run.lumis) { completed[lumi, default: 0] += 1 } }
            }
            for record in records where !record.isFinished(completeFileCount: completed[record.lumi] ?? 0) { active.insert(record.lumi) }
        }
        return active
    }
}
