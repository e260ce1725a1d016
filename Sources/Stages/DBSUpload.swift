import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// `wm-dbsupload`: puts uploadable DBS-buffer files into blocks and uploads closed blocks to the catalog
/// (WMCore's DBS3Upload).
///
/// Each cycle: (1) files in `dbsbuffer/files/` with no NOTUPLOADED parent join the open block of their
/// (dataset, location); a block that a file would push past its limits (by default WMCore's 500 files, 25M events
/// or 5 TB) goes to Pending and a new one opens; a block that reaches its file limit goes to Pending at once.
/// (2) Open blocks older than their wait time (by default 66400 s), or whose workflows have all completed, go to
/// Pending. A block's limits are the stage's, within the `BlockCloseMax*` of its first file's workflow. (3) Each Pending block is inserted into
/// the catalog as `insertBulkBlock` JSON (a block already there counts as uploaded), its files become InDBS
/// and the block InDBS; a StepChain block first gets its files' parents from the parent dataset of the workload's
/// `chainParentage` (`ChainParentResolver`), and waits while those may still come. Block documents are `dbsbuffer/blocks/<State>/<uuid>.json`.
public struct DBSUploadStage: StageCycle {
    public let name = "wm-dbsupload"
    /// The block close limits.
    public var limits: BlockLimits

    /// Makes the stage with WMCore's limits by default.
    public init(limits: BlockLimits = .wmcore) { self.limits = limits }

    /// The block documents area.
    public static func blockArea(_ spool: Spool) -> DocumentArea<BlockBody> {
        Areas.blocks(spool)
    }

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let blocks = Self.blockArea(context.spool)
        try blocks.ensureFolders()
        try context.spool.ensureDirectories(AccountingAreas.dbsBufferFileFolders + [AccountingAreas.dbsBufferCompleted])
        var report = CycleReport()
        report.done += try BlockAssigner(spool: context.spool, blocks: blocks, limits: limits, context: context).run()
        report.include(try closeOpenBlocks(blocks, context: context))
        report.include(try uploadPendingBlocks(blocks, context: context))
        return report
    }

    /// Open → Pending for blocks too old or whose workflows have all completed.
    func closeOpenBlocks(_ blocks: DocumentArea<BlockBody>, context: StageContext) throws -> CycleReport {
        let now = context.now()
        let completed = Set(try context.spool.scan(AccountingAreas.dbsBufferCompleted).names)
        return try TransitionPass(area: blocks, actor: name).run(.open, batchSize: context.options.batchSize, context: context) { block in
            let limits = limits.within(block.closeLimits)
            if limits.isTooOld(block.body, now: now) {
                try block.transition(to: .pending, actor: name, reason: "open for more than \(Int(limits.maxAge)) s", at: now)
            } else if !block.files.isEmpty && block.workflows.allSatisfy(completed.contains) {
                try block.transition(to: .pending, actor: name, reason: "workflows completed: \(block.workflows.joined(separator: ", "))", at: now)
            }
            return false
        }
    }

    /// Pending → InDBS: each block into the catalog first, its files marked InDBS, then the block moves.
    ///
    /// On an agent's own spool the catalog is the central spool's, and each upload is recorded in the central ledger
    /// (`AgentLedger`): the block's origin first, then the insert, then a look for a fence on its workflows. A block of
    /// work the global queue took back from this agent (fenced) is not uploaded: it goes to `corrupt/` with the reason;
    /// one fenced between its origin record and its insert is inserted and invalidated at once.
    func uploadPendingBlocks(_ blocks: DocumentArea<BlockBody>, context: StageContext) throws -> CycleReport {
        let catalog = CatalogStore(spool: context.spool)
        let now = context.now()
        let agent = SpoolRoles.role(of: context.spool).agentName
        let ledger = AgentLedger(spool: context.spool)
        let fenced = { (workflows: [String]) -> [String] in
            guard let agent else { return [] }
            return workflows.filter { ledger.isFenced(agent: agent, request: $0) }
        }
        return try TransitionPass(area: blocks, actor: name).runEffectsFirst(.pending, batchSize: 20, context: context,
            plan: { documents in
                var plans: [String: Result<BlockUpload, any Error>] = [:]
                var parents = ChainParentResolver(spool: context.spool, catalog: catalog, blocks: blocks, context: context)
                for block in documents {
                    do {
                        let taken = fenced(block.body.workflows)
                        if !taken.isEmpty {
                            throw DocumentProblem("block \(block.body.blockName): the global queue took the work of \(taken.joined(separator: ", ")) back "
                                                  + "from agent '\(agent ?? "")' (\(Layout.fencesRoot)/\(agent ?? "")/); its outputs are not uploaded")
                        }
                        var upload = try BlockUpload(block: block.body, spool: context.spool, now: now)
                        switch try parents.decide(block.body, files: upload.files.map { $0.file }) {
                        case .wait(let reason):
                            context.log.info("block waits for its StepChain parents", ["block": block.body.blockName, "reason": reason])
                        case .insert(let fileParents, let datasetParent):
                            upload.bulk.fileParentList += fileParents
                            if let datasetParent { upload.bulk.datasetParentList = [datasetParent] }
                            plans[block.name] = .success(upload)
                        }
                    } catch {
                        plans[block.name] = .failure(error)
                    }
                }
                return plans
            },
            apply: { uploads, batch in
                for upload in uploads {
                    if let agent {
                        for workflow in upload.workflows { try ledger.recordOrigin(agent: agent, request: workflow, block: upload.bulk.block.blockName) }
                    }
                    let outcome = try catalog.insert(upload.bulk)
                    let taken = fenced(upload.workflows)
                    if !taken.isEmpty {
                        let files = try catalog.invalidate(block: upload.bulk.block.blockName)
                        context.log.warning("block invalidated: its work was taken back from this agent while it was uploaded",
                                            ["block": upload.bulk.block.blockName, "workflows": taken.joined(separator: ","), "files": String(files)])
                    }
                    context.log.info("block uploaded", ["block": upload.bulk.block.blockName, "files": String(upload.files.count),
                                                        "outcome": outcome == .inserted ? "inserted" : "already in the catalog"])
                    for (folder, var file) in upload.files where folder != AccountingAreas.dbsBufferUploaded {
                        file.status = .inDBS
                        _ = try batch.moveReplacingContent(FileKey.of(file.lfn) + ".json", from: folder,
                                                           to: AccountingAreas.dbsBufferUploaded, with: try encodeDocument(file))
                    }
                }
            },
            decide: { block, _ in try block.transition(to: .inDBS, actor: name, reason: "inserted into the catalog", at: now) })
    }
}

/// One Pending block ready for the catalog: its files (with the folder each is in) and its `insertBulkBlock` body.
struct BlockUpload {
    var files: [(folder: String, file: DBSBufferFile)]
    var bulk: BulkBlock
    /// The workflows whose files the block holds.
    var workflows: [String]

    /// The dataset access type of a block: its first workflow's `ValidStatus` (WMCore's DBS-buffer dataset
    /// `valid_status`), VALID when the workload does not say (stored before it was kept, or unreadable).
    static func accessType(of block: BlockBody, spool: Spool) -> String {
        block.workflows.first.flatMap { (try? ElementStore(spool: spool).workload($0))??.validStatus } ?? "VALID"
    }

    init(block: BlockBody, spool: Spool, now: Double) throws {
        var files: [(String, DBSBufferFile)] = []
        for lfn in block.files {
            let name = FileKey.of(lfn) + ".json"
            guard let folder = [AccountingAreas.dbsBufferAssigned, AccountingAreas.dbsBufferUploaded, AccountingAreas.dbsBufferFiles]
                .first(where: { spool.contains(name, in: $0) }),
                let bytes = try spool.read(name, in: folder) else {
                throw DocumentProblem("block \(block.blockName): file \(lfn) is in no DBS buffer folder; expected dbsbuffer/assigned/\(name)")
            }
            files.append((folder, try decodeDocument(DBSBufferFile.self, bytes, file: folder + "/" + name)))
        }
        self.files = files
        workflows = block.workflows
        let (era, version) = OutputRules.eraAndVersion(dataset: block.dataset)
        let isMC = block.files.first?.hasPrefix("/store/mc/") ?? false
        let context = BulkBlockContext(config: BulkConfig(releaseVersion: block.release, outputModuleLabel: block.outputModule,
                                                          globalTag: block.globalTag),
                                       processingVersion: version, acquisitionEra: era, primaryDatasetType: isMC ? "mc" : "data",
                                       accessType: Self.accessType(of: block, spool: spool), prepID: block.prepID, creationDate: Int(now))
        let catalogBlock = CatalogBlock(name: block.blockName, locations: [block.location], isOpen: false,
                                        files: files.map(\.1.catalogFile))
        bulk = BulkBlock(block: catalogBlock, context: context)
    }
}

/// Puts the uploadable files of `dbsbuffer/files/` into blocks: block documents first (one commit), then the
/// files move to `dbsbuffer/assigned/` (a second commit). A file a crash left behind while its block already
/// lists it is moved at the next cycle, never put in a second block.
struct BlockAssigner {
    let spool: Spool
    let blocks: DocumentArea<BlockBody>
    let limits: BlockLimits
    let context: StageContext

    /// Assigns what can be assigned; returns the number of files assigned.
    func run() throws -> Int {
        let now = context.now()
        var open: [BlockBody] = []
        var member: [String: String] = [:]  // lfn → block name, for Open and Pending blocks
        for state in [BlockState.open, .pending] {
            for name in try blocks.scan(state, log: context.log) {
                guard case .document(let block) = try blocks.load(name, in: state, now: now, log: context.log) else { continue }
                if state == .open { open.append(block.body) }
                for lfn in block.files { member[lfn] = block.blockName }
            }
        }
        var waiting: [DBSBufferFile] = []
        var repaired: [DBSBufferFile] = []
        for file in try spool.scan(AccountingAreas.dbsBufferFiles, limit: context.options.batchSize * 20).names {
            guard let bytes = try spool.read(file, in: AccountingAreas.dbsBufferFiles) else { continue }
            do {
                var doc = try decodeDocument(DBSBufferFile.self, bytes, file: AccountingAreas.dbsBufferFiles + "/" + file)
                if let block = member[doc.lfn] {
                    doc.block = block
                    repaired.append(doc)
                } else if !hasUnuploadedParent(doc) {
                    waiting.append(doc)
                }
            } catch {
                context.log.warning("quarantined", ["file": AccountingAreas.dbsBufferFiles + "/" + file, "reason": "\(error)"])
                try spool.quarantine(file, in: AccountingAreas.dbsBufferFiles, reason: "\(error)")
            }
        }
        waiting.sort { ($0.insertTime, $0.lfn) < ($1.insertTime, $1.lfn) }
        // Each workflow's BlockCloseMax* (a workload that cannot be read leaves the stage's limits alone).
        let elements = ElementStore(spool: spool)
        let workflowLimits = Dictionary(uniqueKeysWithValues: Set(waiting.map(\.workflow)).map { workflow in
            (workflow, (try? elements.workload(workflow))??.blockCloseLimits)
        })
        var planner = BlockPlanner(limits: limits, openBlocks: open, now: now, workflowLimits: { workflowLimits[$0.workflow] ?? nil })
        for file in waiting { planner.assign(file) }
        if context.options.dryRun || (waiting.isEmpty && repaired.isEmpty) { return 0 }
        try saveBlocks(planner, previouslyOpen: Set(open.map(\.name)), now: now)
        let blockOf = Dictionary(planner.assignments.map { ($0.lfn, $0.block) }, uniquingKeysWith: { a, _ in a })
        try spool.inBatch { batch in
            for var file in waiting + repaired {
                file.block = file.block ?? blockOf[file.lfn]
                _ = try batch.moveReplacingContent(FileKey.of(file.lfn) + ".json", from: AccountingAreas.dbsBufferFiles,
                                                   to: AccountingAreas.dbsBufferAssigned, with: try encodeDocument(file))
            }
        }
        context.log.info("files assigned to blocks", ["files": String(waiting.count), "closing": String(planner.closing.count)])
        return waiting.count + repaired.count
    }

    /// A parent of the file is NOTUPLOADED when its document is still in `files/` or `assigned/`.
    private func hasUnuploadedParent(_ file: DBSBufferFile) -> Bool {
        file.parents.contains { parent in
            [AccountingAreas.dbsBufferFiles, AccountingAreas.dbsBufferAssigned].contains {
                spool.contains(FileKey.of(parent) + ".json", in: $0)
            }
        }
    }

    /// Writes the open blocks and moves the closing ones to Pending, in one commit.
    private func saveBlocks(_ planner: BlockPlanner, previouslyOpen: Set<String>, now: Double) throws {
        try spool.inBatch { batch in
            for block in planner.open.values {
                let doc = Annotated(block)
                if previouslyOpen.contains(block.name) {
                    try batch.replaceContent(of: blocks.fileName(block.name), in: blocks.folder(.open), with: try blocks.encode(doc))
                } else {
                    try batch.publish(try blocks.encode(doc), as: blocks.fileName(block.name), in: blocks.folder(.open))
                }
            }
            for block in planner.closing {
                var doc = Annotated(block)
                try doc.transition(to: .pending, actor: "wm-dbsupload", reason: "full (\(block.files.count) files, \(block.events) events, \(block.size) bytes)", at: now)
                if previouslyOpen.contains(block.name) {
                    _ = try batch.moveReplacingContent(blocks.fileName(block.name), from: blocks.folder(.open), to: blocks.folder(.pending),
                                                       with: try blocks.encode(doc))
                } else {
                    try batch.publish(try blocks.encode(doc), as: blocks.fileName(block.name), in: blocks.folder(.pending))
                }
            }
        }
    }
}
