import JobSplitting
import SpoolKit
import WMCore

/// A job group acquiring its files (the job creator's commit): which documents the files move to is the
/// store's business — bundles, job documents as acquired documents and their links stay here.
extension WMBSStore {
    /// What happens to a job group's files when its jobs acquire them: each consumed file goes into the
    /// `acquired/` document of the first job that reads it (the job's own document, `j<n>.json`: its job
    /// document itself, hard-linked, when the job owns all its files), files that failed at creation into
    /// `failed/<group>.json`; `sources` are the available documents that lose files.
    package struct Acquisition {
        /// Jobs whose own acquired document is their job document (a second name of it).
        var linked: Set<String>
        var relocation: Relocation
        var sources: [(folder: String, name: String)]

        /// The extra names a job's document is published under in `acquired/`: its own document when the job
        /// owns all it reads (none on a replay that finds it already there).
        package func documentLinks(of job: String, store: WMBSStore, workflow: String, subscription: String,
                                   replay: Bool) -> [(String, String)] {
            let bundle = WMBSStore.jobBundleName(job)
            guard linked.contains(job), !(replay && store.hasMovedDocument(bundle, workflow, subscription)) else { return [] }
            return [(store.fileFolder(workflow, subscription, .acquired), bundle)]
        }
    }

    /// The acquisition of a new group's files, from the job creator's plan indices (no file key is hashed): `owner` gives the job
    /// (index) that acquires each available file, -1 for none; `whole` the jobs that own all they read;
    /// `failed` the files that failed at creation.
    package func acquisition(_ record: EncodedJobGroup, workflow: String, available: [(key: String, file: SplitFile, document: String)],
                             owner: [Int], whole: [Bool], failed: [Int]) -> Acquisition {
        let folder = { (state: FileState) in self.fileFolder(workflow, record.subscription, state) }
        var sourceOf: [String: Int] = [:]
        var sources: [(folder: String, name: String)] = []
        var members: [[Int]] = []
        for (i, entry) in available.enumerated() {
            // Neighbours in LFN order often come from one bundle: compare with the last document before hashing.
            if let last = sources.last, last.name == entry.document {
                members[sources.count - 1].append(i)
            } else if let s = sourceOf[entry.document] {
                members[s].append(i)
            } else {
                sourceOf[entry.document] = sources.count
                sources.append((folder(.available), entry.document))
                members.append([i])
            }
        }
        var leaving = [Bool](repeating: false, count: available.count)
        var owned = [[Int]](repeating: [], count: record.jobs.count)
        for i in available.indices where owner[i] >= 0 {
            owned[owner[i]].append(i)
            leaving[i] = true
        }
        var relocation = Relocation()
        func target(_ name: String, in folder: String, _ indices: [Int]) {
            let source = sourceOf[available[indices[0]].document]!
            let isWhole = indices.count == members[source].count && indices.allSatisfy { sourceOf[available[$0].document] == source }
            relocation.targets.append(.init(name: name, folder: folder, files: indices.map { available[$0].file },
                                            wholeSource: isWhole ? source : nil))
        }
        var linked = Set<String>()
        for (j, job) in record.jobs.enumerated() where !owned[j].isEmpty {
            if whole[j] { linked.insert(job.name) } else { target(WMBSStore.jobBundleName(job.name), in: folder(.acquired), owned[j]) }
        }
        if !failed.isEmpty {
            failed.forEach { leaving[$0] = true }
            target(record.name + ".json", in: folder(.failed), failed)
        }
        for (s, indices) in members.enumerated() where indices.contains(where: { leaving[$0] }) {
            relocation.rewrites.append((s, indices.filter { !leaving[$0] }.map { available[$0].file }))
        }
        return Acquisition(linked: linked, relocation: relocation, sources: sources)
    }

    /// The acquisition of a group found pending (a crash stopped it): from its file keys and the available
    /// documents as they are now (some of its files may have moved already).
    package func replayAcquisition(_ record: EncodedJobGroup, workflow: String) throws -> Acquisition {
        let folder = { (state: FileState) in self.fileFolder(workflow, record.subscription, state) }
        let documents = try self.documents(workflow, record.subscription, in: .available)
        let consumed = Set(record.fileKeys)
        var owned = Set<String>()
        var moves: [FileMove] = []
        var linked = Set<String>()
        for job in record.jobs {
            let keys = job.inputKeys.filter { consumed.contains($0) && owned.insert($0).inserted }
            guard !keys.isEmpty else { continue }
            let whole = keys.count == job.inputKeys.count
            if whole { linked.insert(job.name) }
            moves.append(.init(target: WMBSStore.jobBundleName(job.name), in: folder(.acquired), keys: keys, provided: whole))
        }
        if !record.failedFileKeys.isEmpty {
            moves.append(.init(target: record.name + ".json", in: folder(.failed), keys: record.failedFileKeys))
        }
        return Acquisition(linked: linked, relocation: Self.plan(moves, from: documents),
                        sources: documents.map { (folder(.available), $0.name) })
    }

    /// Applies an acquisition in `batch` (new documents first, then the sources lose the files).
    package func apply(_ acquisition: Acquisition, workflow: String, subscription: String, in batch: SpoolBatch, mayExist: Bool) throws {
        try apply(acquisition.relocation, sources: acquisition.sources, workflow: workflow, subscription: subscription,
                  in: batch, mayExist: mayExist)
    }
}
