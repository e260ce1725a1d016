import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

extension Annotated where Body == JobBody {
    /// The batch state last seen, kept by its BossAir name as the document key `batchStatus`; nil when none
    /// was recorded or the stored name is not a batch state.
    public var batchStatus: BatchState? {
        get { extra["batchStatus"]?.stringValue.flatMap(BatchState.init(rawValue:)) }
        set { extra["batchStatus"] = newValue.map { JSONValue.string($0.rawValue) } }
    }

    /// True when the document records a batch status name, even one that is not a batch state.
    public var hasBatchStatus: Bool { extra["batchStatus"]?.stringValue != nil }

    /// When the batch status last changed (seconds since the epoch); document key `batchStatusTime`.
    public var batchStatusTime: Double? {
        get { extra["batchStatusTime"]?.doubleValue }
        set { extra["batchStatusTime"] = newValue.map(JSONValue.double) }
    }

    /// Records a new batch state and, when it changed, the time of the change. True when it changed.
    @discardableResult
    public mutating func recordBatchStatus(_ status: BatchState, at time: Double) -> Bool {
        guard extra["batchStatus"]?.stringValue != status.rawValue else { return false }
        batchStatus = status
        batchStatusTime = time
        return true
    }
}

/// Where sites are configured (where jobs run is `JobWorkDirectory`).
public enum ExecutionLayout {
    /// The site configuration: `<spool>/etc/sites.json` (`wmagent init` writes the default sites). Missing, it is
    /// an error (66), never a silent default; anything but a regular file of at most `Spool.configurationSizeLimit`
    /// there is a data error (65) naming it.
    public static func siteConfiguration(spool: Spool) throws -> SiteConfiguration {
        let read: [UInt8]?
        do {
            read = try spool.read(Layout.siteConfigurationFile, in: Layout.configuration, limit: Spool.configurationSizeLimit)
        } catch let refused as RefusedFile {
            throw CommandFailure(.dataError, refused.description)
        }
        guard let bytes = read else {
            throw CommandFailure(.noInput, "\(spool.path(Layout.siteConfiguration)) is missing: a spool's sites are its configuration,"
                                 + " never a silent default ('wmagent init' writes the default sites; 'wmctl site ls' lists them)")
        }
        return try SiteConfiguration.decode(bytes, file: spool.path(Layout.siteConfiguration))
    }

    /// Saves the site configuration to `<spool>/etc/sites.json` (replacing it atomically).
    public static func saveSiteConfiguration(_ configuration: SiteConfiguration, spool: Spool) throws {
        try spool.ensureDirectories([Layout.configuration])
        try spool.inBatch { batch in
            if SystemCall.exists(spool.path(Layout.siteConfiguration)) {
                try batch.replaceContent(of: Layout.siteConfigurationFile, in: Layout.configuration, with: try configuration.encoded())
            } else {
                try batch.publish(try configuration.encoded(), as: Layout.siteConfigurationFile, in: Layout.configuration)
            }
        }
    }
}
