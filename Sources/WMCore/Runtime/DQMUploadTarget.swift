/// Where a harvesting job uploads its DQM file: each URL of `DQMUploadUrl` (several separated by `;`, as WMCore's
/// DQMUpload step splits them). With no network here, the spool holds a stand-in for each DQM GUI, as `storage/<PNN>`
/// stands in for a site's storage: the file goes to `<host>/<path components>/` under the spool's DQM GUI folder.
/// Host and path are confined: letters, digits, `.`, `_` and `-` only, no `.` or `..` component.
public struct DQMUploadTarget: Hashable, Sendable {
    /// The URL as written.
    public var url: String
    /// The host (with `_<port>` when the URL names a port).
    public var host: String
    /// The path's components.
    public var path: [String]

    /// The job baggage key of a harvesting job's `DQMUploadUrl`.
    public static let baggageKey = "dqmUploadURL"

    /// The folder of the target under the DQM GUI stand-in, e.g. `cmsweb.cern.ch/dqm/dev`.
    public var folder: String { ([host] + path).joined(separator: "/") }

    /// The targets of a `DQMUploadUrl` value.
    /// - Throws: `DQMUploadTargetError` naming the URL and what is wrong with it.
    public static func targets(_ text: String) throws(DQMUploadTargetError) -> [DQMUploadTarget] {
        let urls = text.split(separator: ";", omittingEmptySubsequences: true).map(String.init)
        guard !urls.isEmpty else { throw DQMUploadTargetError(url: text, problem: "no URL") }
        return try urls.map { (url: String) throws(DQMUploadTargetError) -> DQMUploadTarget in try target(url) }
    }

    private static func target(_ url: String) throws(DQMUploadTargetError) -> DQMUploadTarget {
        func fail(_ problem: String) -> DQMUploadTargetError { DQMUploadTargetError(url: url, problem: problem) }
        guard let scheme = ["https://", "http://"].first(where: { url.hasPrefix($0) }) else { throw fail("not an http(s) URL") }
        let rest = url.dropFirst(scheme.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let authority = rest[0].split(separator: ":", maxSplits: 1).map(String.init)
        guard let host = authority.first, !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }),
              host.first != ".", !host.contains("..") else {
            throw fail("the host must be letters, digits, '.' and '-'")
        }
        if authority.count == 2, !(authority[1].allSatisfy(\.isNumber) && (1...5).contains(authority[1].count)) {
            throw fail("the port must be a number")
        }
        var path = Array(rest.dropFirst())
        if path.last == "" { path.removeLast() }   // a trailing slash
        for component in path {
            guard !component.isEmpty, component != ".", component != "..",
                  component.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw fail("path component '\(component)' must be letters, digits, '.', '_' and '-' (not '.' or '..', no query)")
            }
        }
        return DQMUploadTarget(url: url, host: authority.count == 2 ? host + "_" + authority[1] : host, path: path)
    }
}

/// A `DQMUploadUrl` that cannot be used.
public struct DQMUploadTargetError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The URL.
    public var url: String
    /// What is wrong.
    public var problem: String

    public var description: String { "DQM upload URL '\(url)': \(problem)" }
}
