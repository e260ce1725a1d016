import Commands
import JobSplitting
import SpoolKit
import SpoolLayout
import WMCore

/// A Condition subscription's work in `wm-jobcreator` (§A.6 "Condition": no jobs): each available conditions
/// payload is recorded for upload (`Tier0ConditionStore`, T0's `prompt_calib_file`) and moved to acquired; on the
/// next pass the ConditionUpload stand-in marks the acquired payloads uploaded and completes them, so the workflow can
/// be archived. No upload leaves the spool: the record is what an operator sees (`wmctl t0 conditions`).
struct ConditionRecording {
    let store: WMBSStore
    let workflow: String
    let subscription: Subscription

    /// Completes the payloads recorded on an earlier pass, then records and acquires `lfns` of the available files;
    /// returns how many files moved.
    func run(recording lfns: [String], available: [(key: String, file: SplitFile, document: String)], now: Double,
             log: Logger) throws -> Int {
        let uploaded = try upload(now: now, log: log)
        let wanted = Set(lfns)
        let files = available.filter { wanted.contains($0.file.lfn) }
        guard !files.isEmpty else { return uploaded }
        let conditions = Tier0ConditionStore(spool: store.spool)
        for entry in files {
            let file = entry.file
            guard let run = file.runs.first else { continue }
            try conditions.save(.init(lfn: file.lfn, run: run.run, lumis: run.lumis.sorted(), size: file.size,
                                      locations: file.locations, workflow: workflow, subscription: subscription.name, recorded: now))
            log.info("conditions payload recorded for upload", ["workflow": workflow, "lfn": file.lfn, "run": String(run.run)])
        }
        let sources = try store.documents(workflow, subscription.name, in: .available)
            .filter { document in document.keys.contains { key in files.contains { $0.key == key } } }
        let acquired = store.fileFolder(workflow, subscription.name, .acquired)
        try store.spool.inBatch { batch in
            try store.relocate([.init(target: "c" + files[0].key + ".json", in: acquired, keys: files.map(\.key))],
                               from: sources.map { (store.fileFolder(workflow, subscription.name, .available), $0) },
                               workflow: workflow, subscription: subscription.name, in: batch)
        }
        return uploaded + files.count
    }

    /// ConditionUpload: every acquired payload with a record is marked uploaded and completed.
    private func upload(now: Double, log: Logger) throws -> Int {
        let conditions = Tier0ConditionStore(spool: store.spool)
        let acquired = store.fileFolder(workflow, subscription.name, .acquired)
        let completed = store.fileFolder(workflow, subscription.name, .completed)
        var moved = 0
        for document in try store.documents(workflow, subscription.name, in: .acquired) {
            for file in document.files {
                guard let run = file.runs.first?.run, var record = try conditions.record(run: run, lfn: file.lfn) else { continue }
                if record.uploaded == nil {
                    record.uploaded = now
                    try conditions.save(record)
                    log.info("conditions payload uploaded (stand-in)", ["workflow": workflow, "lfn": file.lfn])
                }
            }
            try store.spool.inBatch { batch in
                try store.relocate([.init(target: document.name, in: completed, keys: document.keys)], from: [(acquired, document)],
                                   workflow: workflow, subscription: subscription.name, in: batch)
            }
            moved += document.files.count
        }
        return moved
    }
}
