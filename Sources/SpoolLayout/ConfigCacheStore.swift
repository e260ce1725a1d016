import Foundation
import SpoolKit
import WMCore

/// The config cache on the spool: `configcache/<id>.json`, one task configuration each.
///
/// The id is the MD5 of the stored bytes (32 hex digits, like CouchDB ids), so adding the same
/// configuration twice gives the same id and stores it once.
public struct ConfigCacheStore: ConfigCacheLookup {
    /// The spool.
    public let spool: Spool
    /// The folder.
    public static let folder = Layout.configCache

    /// Makes the store of a spool (on an agent's spool: its central spool's, `SpoolRoles.central`).
    public init(spool: Spool) { self.spool = SpoolRoles.central(of: spool) }

    /// Stores a configuration and returns its id (its MD5, or `id` when given — to load a configuration a
    /// request already refers to, e.g. a ReqMgr2 template's `ConfigCacheID`).
    ///
    /// - Throws: `DocumentProblem` naming the file and field when it is not a task configuration.
    public func add(_ data: Data, source: String, id fixedID: String? = nil) throws -> String {
        let expected = "expected {\"outputModules\": {\"LABEL\": {\"dataTier\": \"TIER\", \"filterName\": \"\"}}}"
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw DocumentProblem(describeDecodingError(error, file: source))
        }
        guard TaskConfiguration(json: json) != nil else {
            throw DocumentProblem("\(source): field 'outputModules' is missing or malformed; \(expected)")
        }
        var md5 = MD5()
        md5.update(data)
        let id = fixedID ?? md5.hexDigest()
        guard id.count == 32, id.allSatisfy(\.isHexDigit) else {
            throw DocumentProblem("config id '\(id)': expected 32 hexadecimal digits (a CouchDB-style id)")
        }
        if fixedID != nil, let existing = configuration(id: id), existing != TaskConfiguration(json: json) {
            throw DocumentProblem("config id \(id) is already taken by a different configuration; nothing was changed")
        }
        try spool.ensureDirectories([Self.folder])
        if !SystemCall.exists(spool.path(Self.folder) + "/" + id + ".json") {
            try spool.publish(Array(data), as: id + ".json", in: Self.folder)
        }
        return id
    }

    /// The configuration with this id, or nil (none, or not readable: see `unreadableReason`).
    public func configuration(id: String) -> TaskConfiguration? {
        guard Spool.isSafeName(id), let bytes = try? spool.read(id + ".json", in: Self.folder, limit: Spool.configurationSizeLimit) else { return nil }
        return (try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))).flatMap(TaskConfiguration.init(json:))
    }

    /// Why the entry of `id` can't be read: a FIFO, device, socket, directory or link, or a file over
    /// `Spool.configurationSizeLimit` (read without blocking: a FIFO never hangs a submission).
    public func unreadableReason(id: String) -> String? {
        guard Spool.isSafeName(id) else { return nil }
        do {
            _ = try spool.read(id + ".json", in: Self.folder, limit: Spool.configurationSizeLimit)
            return nil
        } catch let refused as RefusedFile {
            return refused.description(naming: Self.folder + "/" + id + ".json")
        } catch {
            return "\(Self.folder)/\(id).json: \(error)"
        }
    }
}
