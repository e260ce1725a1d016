import Foundation
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wmagent init DIR`: a self-contained spool for one machine — its folders, its configuration (the
/// local plugin and the default sites) and the example task configurations in its config cache.
public enum AgentSpool {
    /// Makes (or completes) a spool at `path`; never overwrites anything. Returns what it created.
    @discardableResult
    public static func initialize(at path: String) throws -> [String] {
        let spool = try Spool(root: path)
        var created: [String] = []
        for folder in Layout.madeByInit where !spool.isFolder(folder) {
            try spool.ensureDirectories([folder])
            created.append(folder + "/")
        }
        try RequestManager.area(spool).ensureFolders()
        try ElementStore(spool: spool).ensureFolders()
        try Areas.jobs(spool).ensureFolders()
        let files: [(String, String)] = [(Layout.agentConfigurationFile, EmbeddedDefaults.agentJSON),
                                         (Layout.siteConfigurationFile, SiteConfiguration.defaultJSON + "\n"),
                                         (Layout.tier0ConfigurationFile, EmbeddedDefaults.tier0JSON)]
        for (name, text) in files where !spool.contains(name, in: Layout.configuration) {
            try spool.publish(Array(text.utf8), as: name, in: Layout.configuration)
            created.append(Layout.configuration + "/" + name)
        }
        let cache = ConfigCacheStore(spool: spool)
        for name in EmbeddedDefaults.exampleConfigurations.keys.sorted() {
            let id = try cache.add(Data(EmbeddedDefaults.exampleConfigurations[name]!.utf8), source: name)
            created.append(Layout.configCache + "/\(id).json (\(name))")
        }
        return created
    }
}

/// The stages in pipeline order, as `wmagent run` drives them (the same stage code the CLIs run).
public enum Pipeline {
    /// Every stage of one agent, upstream first; with `tier0` (the spool has `etc/t0.json`: `hasTier0`) the
    /// Tier-0 feeder runs first, so what it registers is there for the stages after it.
    public static func stages(agent: String, tier0: Bool = false) -> [StageCycle] {
        (tier0 ? [T0FeederStage()] : []) + [ReqMgrStage(makeManager: { spool, config in Wiring.requestManager(spool, config: config) }),
         GlobalWorkQueueStage(),
         LocalWorkQueueStage(agent: agent),
         JobCreatorStage(),
         JobSubmitterStage(),
         JobTrackerStage(),
         AccountantStage(),
         ErrorHandlerStage(),
         RetryManagerStage(),
         JobArchiverStage(),
         DBSUploadStage(),
         RucioInjectorStage(),
         TaskArchiverStage(),
         GlobalWorkQueueStage()]
    }

    /// True when the spool runs the Tier-0: `etc/t0.json` exists (a spool made before the Tier-0 keeps its WMAgent
    /// stages alone; a malformed `t0.json` is then the feeder's error, never a silent skip).
    public static func hasTier0(_ spool: Spool) -> Bool {
        spool.contains(Layout.tier0ConfigurationFile, in: Layout.configuration)
    }
}
