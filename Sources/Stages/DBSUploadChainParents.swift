import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// Gives the files of a StepChain block their DBS parents as the block is inserted (WMCore's StepChain parentage fix,
/// done at upload instead of afterwards): a dataset the workload's `chainParentage` maps to a parent dataset gets that
/// dataset parent, and each of its parentless files gets the parent dataset's catalog files sharing its runs and lumis.
///
/// A block whose files' lumis are not all in the catalog's parent dataset waits (stays Pending) while parent files may
/// still come: its workflow has not completed, or a block or DBS-buffer file of the parent dataset is not uploaded yet.
/// Once nothing more can come it is inserted with the parents there are. The parents are in the block's
/// `insertBulkBlock` body, so they reach the catalog with the block, in its one commit: a replay after a crash computes
/// the same body, or finds the block already inserted.
struct ChainParentResolver {
    let spool: Spool
    let catalog: CatalogStore
    let blocks: DocumentArea<BlockBody>
    let context: StageContext
    private var workloads: [String: Workload?] = [:]
    private var indexes: [String: LumiParentIndex] = [:]
    private var waitingDatasets: Set<String>?
    private var completed: Set<String>?

    init(spool: Spool, catalog: CatalogStore, blocks: DocumentArea<BlockBody>, context: StageContext) {
        self.spool = spool
        self.catalog = catalog
        self.blocks = blocks
        self.context = context
    }

    /// What to do with a Pending block.
    enum Decision: Equatable {
        /// Insert it, with these file parents and this dataset parent (none for a block outside a StepChain's map).
        case insert(fileParents: [BulkFileParent], datasetParent: String?)
        /// Leave it Pending: parents of its files may still reach the catalog.
        case wait(reason: String)
    }

    /// The parents the block's `files` get, or why it waits.
    mutating func decide(_ block: BlockBody, files: [DBSBufferFile]) throws -> Decision {
        guard let parentDataset = parentDataset(of: block) else { return .insert(fileParents: [], datasetParent: nil) }
        let index = try parentIndex(parentDataset)
        var fileParents: [BulkFileParent] = []
        var uncovered: [String] = []
        for file in files where file.parents.isEmpty {
            let found = index.parents(sharing: file.lumis)
            if !found.uncovered.isEmpty { uncovered.append(file.lfn) }
            fileParents += found.parents.map { BulkFileParent(parentLogicalFileName: $0, logicalFileName: file.lfn) }
        }
        if let first = uncovered.first, let why = try parentsMayStillCome(parentDataset, block: block) {
            return .wait(reason: "\(uncovered.count) file(s) (first \(first)) have lumis not yet in \(parentDataset): \(why)")
        }
        return .insert(fileParents: fileParents, datasetParent: parentDataset)
    }

    /// The chain parent dataset of the block's dataset, from the first of its workflows whose workload maps it. A
    /// workload that cannot be read is logged and maps nothing.
    private mutating func parentDataset(of block: BlockBody) -> String? {
        for workflow in block.workflows {
            if workloads[workflow] == nil {
                do {
                    workloads[workflow] = try ElementStore(spool: spool).workload(workflow)
                } catch {
                    context.log.warning("workload unreadable; block uploaded without StepChain parents",
                                        ["block": block.blockName, "reason": "\(error)"])
                    workloads[workflow] = .some(nil)
                }
            }
            if let parent = workloads[workflow]??.chainParentage[block.dataset] { return parent }
        }
        return nil
    }

    /// The catalog files of `dataset` by lumi (read once per cycle).
    private mutating func parentIndex(_ dataset: String) throws -> LumiParentIndex {
        if let index = indexes[dataset] { return index }
        let files = try catalog.bulkBlocks(of: dataset).flatMap { try CatalogBlock(bulk: $0).files }
        let index = LumiParentIndex(files: files)
        indexes[dataset] = index
        return index
    }

    /// Why parent files may still reach the catalog's `dataset`, or nil when nothing more can come.
    private mutating func parentsMayStillCome(_ dataset: String, block: BlockBody) throws -> String? {
        if completed == nil { completed = Set(try spool.scan(AccountingAreas.dbsBufferCompleted).names) }
        if let running = block.workflows.first(where: { !(completed ?? []).contains($0) }) { return "workflow \(running) has not completed" }
        if waitingDatasets == nil { waitingDatasets = try datasetsNotUploaded() }
        return (waitingDatasets ?? []).contains(dataset) ? "some of its files are not uploaded yet" : nil
    }

    /// The datasets with an Open or Pending block, or a DBS-buffer file not yet in a block.
    private func datasetsNotUploaded() throws -> Set<String> {
        var datasets: Set<String> = []
        for state in [BlockState.open, .pending] {
            for name in try blocks.scan(state, log: context.log) {
                if case .document(let doc) = try blocks.load(name, in: state, now: context.now(), log: context.log) { datasets.insert(doc.body.dataset) }
            }
        }
        for name in try spool.scan(AccountingAreas.dbsBufferFiles).names {
            guard let bytes = try spool.read(name, in: AccountingAreas.dbsBufferFiles),
                  let file = try? decodeDocument(DBSBufferFile.self, bytes, file: AccountingAreas.dbsBufferFiles + "/" + name) else { continue }
            datasets.insert(file.dataset)
        }
        return datasets
    }
}
