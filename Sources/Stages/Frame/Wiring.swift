import SpoolKit
import SpoolLayout
import WMCore

/// How the programs build their services for a spool: one place, so `wmctl`, the stage programs and
/// `wmagent` agree.
public enum Wiring {
    /// The request manager of a spool, with its config cache, catalog and group priorities.
    public static func requestManager(_ spool: Spool, config: AgentConfiguration) -> RequestManager {
        RequestManager(spool: spool, configCache: ConfigCacheStore(spool: spool), catalog: catalog(spool),
                       groups: config.groupPriorities, maxJobsPerTask: config.workQueue.maxJobsPerTask,
                       maxJobsPerElement: config.workQueue.maxJobsPerElement)
    }

    /// The input catalog of a spool (`catalog/`).
    public static func catalog(_ spool: Spool) -> any CatalogLookup {
        CatalogStore(spool: spool)
    }
}
