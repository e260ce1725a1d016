import Foundation

/// The agent's configuration (`<spool>/etc/agent.json`, or `--config FILE`). Every key is optional:
/// what is left out keeps the default, so a fresh spool works with no file at all.
public struct AgentConfiguration: Codable, Sendable {
    /// The agent's name (WMCore's agent number and queue name come from it).
    public var agentName: String
    /// The team the agent serves (requests are assigned to teams).
    public var team: String
    /// ErrorHandler rules.
    public var errorHandler: ErrorPolicy
    /// RetryManager algorithms per task type.
    public var retryManager: RetryPolicy

    /// The defaults.
    public static let standard = AgentConfiguration(agentName: "agent1", team: "production",
                                                    errorHandler: .wmcoreDefault, retryManager: .standard)

    /// Makes a configuration.
    public init(agentName: String, team: String, errorHandler: ErrorPolicy, retryManager: RetryPolicy) {
        self.agentName = agentName
        self.team = team
        self.errorHandler = errorHandler
        self.retryManager = retryManager
    }

    /// Decodes a configuration; missing keys keep their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AgentConfiguration.standard
        agentName = try c.decodeIfPresent(String.self, forKey: .agentName) ?? d.agentName
        team = try c.decodeIfPresent(String.self, forKey: .team) ?? d.team
        errorHandler = try c.decodeIfPresent(ErrorPolicy.self, forKey: .errorHandler) ?? d.errorHandler
        retryManager = try c.decodeIfPresent(RetryPolicy.self, forKey: .retryManager) ?? d.retryManager
    }

    /// Loads a configuration file; a missing file gives the defaults, a bad one an error naming the field.
    public static func load(path: String) throws -> AgentConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else { return .standard }
        do {
            return try JSONDecoder().decode(AgentConfiguration.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            throw ConfigurationError(path: path, field: context.codingPath.map(\.stringValue).joined(separator: "."), expected: "\(type)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw ConfigurationError(path: path, field: (context.codingPath + [key]).map(\.stringValue).joined(separator: "."), expected: "a value (required)")
        } catch let DecodingError.dataCorrupted(context) {
            throw ConfigurationError(path: path, field: context.codingPath.map(\.stringValue).joined(separator: "."), expected: context.debugDescription)
        }
    }
}

/// A configuration file that can't be used.
public struct ConfigurationError: Error, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The field (dotted path).
    public var field: String
    /// What was expected.
    public var expected: String
    public var description: String { "\(path): field '\(field.isEmpty ? "(top level)" : field)': expected \(expected)" }
}
