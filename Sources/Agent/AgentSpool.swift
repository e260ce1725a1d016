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
                                         (Layout.siteConfigurationFile, SiteConfiguration.defaultJSON + "\n")]
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
    /// Every stage of one agent, upstream first.
    public static func stages(agent: String) -> [StageCycle] {
        [ReqMgrStage(makeManager: { spool, config in Wiring.requestManager(spool, config: config) }),
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
}
