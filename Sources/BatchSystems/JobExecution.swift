import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

extension Annotated where Body == JobBody {
    /// The batch status last seen (BossAir names: Pending, Running, Complete, Error, Timeout); kept
    /// as the document key `batchStatus`.
    public var batchStatus: String? {
        get { extra["batchStatus"]?.stringValue }
        set { extra["batchStatus"] = newValue.map(JSONValue.string) }
    }

    /// When the batch status last changed (seconds since the epoch); document key `batchStatusTime`.
    public var batchStatusTime: Double? {
        get { extra["batchStatusTime"]?.doubleValue }
        set { extra["batchStatusTime"] = newValue.map(JSONValue.double) }
    }

    /// Records a new batch status and, when it changed, the time of the change. True when it changed.
    @discardableResult
    public mutating func recordBatchStatus(_ status: String, at time: Double) -> Bool {
        guard batchStatus != status else { return false }
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
