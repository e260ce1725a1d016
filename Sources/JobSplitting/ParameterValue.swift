import Foundation

/// A JSON-like splitting parameter value (WMCore passes the splitting kwargs as plain Python values).
public enum ParameterValue: Codable, Hashable, Sendable {
    /// An integer.
    case int(Int)
    /// A floating-point number.
    case double(Double)
    /// A boolean.
    case bool(Bool)
    /// A string.
    case string(String)
    /// A list of values.
    case array([ParameterValue])
    /// A dictionary of values.
    case object([String: ParameterValue])
    /// JSON `null` (Python `None`).
    case null

    /// Decodes any JSON value.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([ParameterValue].self) { self = .array(a); return }
        if let o = try? c.decode([String: ParameterValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    /// Encodes as the corresponding JSON value.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        case .null: try c.encodeNil()
        }
    }

    /// Python truthiness (`bool(value)`): zero, empty and `None` are false.
    public var isTruthy: Bool {
        switch self {
        case .int(let v): return v != 0
        case .double(let v): return v != 0
        case .bool(let v): return v
        case .string(let v): return !v.isEmpty
        case .array(let v): return !v.isEmpty
        case .object(let v): return !v.isEmpty
        case .null: return false
        }
    }

    /// Python `int(value)`: integers, truncated doubles, booleans and integer strings; `nil` otherwise.
    public var integerValue: Int? {
        switch self {
        case .int(let v): return v
        case .double(let v): return v.isFinite && abs(v) < 9.2e18 ? Int(v) : nil
        case .bool(let v): return v ? 1 : 0
        case .string(let v): return Int(v.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// Python `float(value)`: numbers, booleans and numeric strings; `nil` otherwise.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .bool(let v): return v ? 1 : 0
        case .string(let v): return Double(v.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// Python `str(value)` for scalars (`nil` for lists, dictionaries and `None`).
    public var stringValue: String? {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
        case .bool(let v): return v ? "True" : "False"
        case .string(let v): return v
        default: return nil
        }
    }

    /// A short name of the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .int: return "integer"
        case .double: return "number"
        case .bool: return "boolean"
        case .string: return "string"
        case .array: return "list"
        case .object: return "object"
        case .null: return "null"
        }
    }
}

extension ParameterValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    /// `42` → `.int(42)`.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// `1.5` → `.double(1.5)`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `true` → `.bool(true)`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `"x"` → `.string("x")`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `[1, 2]` → `.array([...])`.
    public init(arrayLiteral elements: ParameterValue...) { self = .array(elements) }
    /// `["k": 1]` → `.object([...])`.
    public init(dictionaryLiteral elements: (String, ParameterValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
}
