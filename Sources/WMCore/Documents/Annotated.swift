import Foundation

/// A document body whose coding keys can be listed, so that keys it does not know can be kept.
public protocol DocumentBody: Codable, Sendable {
    /// The body's coding keys; synthesized `Codable` uses the same enum.
    associatedtype CodingKeys: CodingKey & CaseIterable
}

extension DocumentBody {
    /// The JSON keys the body reads and writes.
    public static var knownKeys: Set<String> { Set(CodingKeys.allCases.map(\.stringValue)) }
}

/// A document body plus every key an operator (or a newer program) added that the body does not know.
///
/// Decoding keeps unknown keys in `extra`; encoding writes them back beside the body's own keys, so an
/// annotation such as `"comment": "waiting for site fix"` survives every stage. Fields of the body are
/// reached directly (`doc.name`) through dynamic member lookup.
@dynamicMemberLookup
public struct Annotated<Body: DocumentBody>: Codable, Sendable {
    /// The typed fields.
    public var body: Body
    /// Keys the body does not declare, kept as they were.
    public var extra: [String: JSONValue]

    /// Wraps a body with no extra keys.
    public init(_ body: Body, extra: [String: JSONValue] = [:]) {
        self.body = body
        self.extra = extra
    }

    /// Reads and writes a field of the body.
    public subscript<T>(dynamicMember keyPath: WritableKeyPath<Body, T>) -> T {
        get { body[keyPath: keyPath] }
        set { body[keyPath: keyPath] = newValue }
    }

    /// Reads a read-only property of the body.
    public subscript<T>(dynamicMember keyPath: KeyPath<Body, T>) -> T {
        body[keyPath: keyPath]
    }

    /// Decodes the body and keeps every other key.
    public init(from decoder: Decoder) throws {
        body = try Body(from: decoder)
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = Body.knownKeys
        var extra: [String: JSONValue] = [:]
        for key in all.allKeys where !known.contains(key.stringValue) {
            extra[key.stringValue] = try all.decode(JSONValue.self, forKey: key)
        }
        self.extra = extra
    }

    /// Encodes the body, then the extra keys.
    public func encode(to encoder: Encoder) throws {
        try body.encode(to: encoder)
        guard !extra.isEmpty else { return }
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        let known = Body.knownKeys
        for (key, value) in extra where !known.contains(key) {
            try c.encode(value, forKey: AnyCodingKey(key))
        }
    }
}
