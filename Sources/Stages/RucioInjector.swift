import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// `wm-rucioinjector`: for each block in the catalog (InDBS), announces its replicas — one document per block
/// in `transfer/outbox/<uuid>.json` with each file's LFN, size and adler32 at the block's storage node — and
/// then closes the block (InDBS → Closed). The replica document is durable before the block moves.
public struct RucioInjectorStage: StageCycle {
    public let name = "wm-rucioinjector"
    /// The outbox the transfer system reads.
    public static let outbox = Layout.transferOutbox

    /// Makes the stage.
    public init() {}

    /// A replica announcement: the block's files at one RSE (storage node).
    public struct ReplicaDocument: Codable, Hashable, Sendable {
        /// One file replica.
        public struct Replica: Codable, Hashable, Sendable {
            /// LFN.
            public var lfn: String
            /// Bytes.
            public var bytes: Int
            /// Adler-32, 8 hex digits.
            public var adler32: String
        }
        /// The storage node (Rucio RSE).
        public var rse: String
        /// The dataset (Rucio container).
        public var dataset: String
        /// The block (Rucio dataset).
        public var block: String
        /// The replicas.
        public var replicas: [Replica]
    }

    public func runCycle(_ context: StageContext) throws -> CycleReport {
        let blocks = DBSUploadStage.blockArea(context.spool)
        try blocks.ensureFolders()
        try context.spool.ensureDirectories([Self.outbox])
        let now = context.now()
        return try TransitionPass(area: blocks, actor: name).runEffectsFirst(.inDBS, batchSize: context.options.batchSize, context: context,
            plan: { documents in
                var plans: [String: Result<(name: String, document: ReplicaDocument), any Error>] = [:]
                for block in documents {
                    plans[block.name] = Result {
                        let upload = try BlockUpload(block: block.body, spool: context.spool, now: now)
                        return (block.name, ReplicaDocument(rse: block.location, dataset: block.dataset, block: block.blockName,
                                                            replicas: upload.files.map { .init(lfn: $0.file.lfn, bytes: $0.file.size, adler32: $0.file.adler32) }))
                    }
                }
                return plans
            },
            apply: { plans, batch in
                for plan in plans where !context.spool.contains(plan.name + ".json", in: Self.outbox) {
                    try batch.publish(try encodeDocument(plan.document), as: plan.name + ".json", in: Self.outbox)
                }
            },
            decide: { block, plan in
                try block.transition(to: .closed, actor: name, reason: "\(plan.document.replicas.count) replica(s) announced at \(plan.document.rse)", at: now)
            })
    }
}
