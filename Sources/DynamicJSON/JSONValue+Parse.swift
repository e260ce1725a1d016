extension JSONValue {
    /// Parses JSON text (RFC 8259, strictly: no trailing commas, no byte-order mark, nothing after the
    /// value but whitespace) into the value `JSONDecoder` gives for `JSONValue`: a number is `.int` when
    /// `JSONDecoder` decodes it as an `Int` (`1.0` and `1e2` included), else `.double`; duplicate object
    /// keys keep their first value; nesting deeper than 512 is refused.
    ///
    /// - Throws: `JSONParseError` naming the byte offset and what was expected.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let outcome: Result<JSONValue, JSONParseError> = JSONByteReader.read(bytes) { reader in
            guard let value = reader.value(depth: 0), reader.atEnd() else {
                return .failure(reader.failure ?? .unexpected(at: reader.position, expected: "a JSON value"))
            }
            return .success(value)
        }
        return try outcome.get()
    }
}

extension JSONByteReader {
    /// Reads any value as `JSONValue.parse` does; `depth` is how many arrays and objects enclose it.
    public mutating func value(depth: Int) -> JSONValue? {
        guard let next = peek() else { return fail(.unexpectedEnd(expected: "a JSON value")) }
        switch next {
        case UInt8(ascii: "\""):
            return string().map(JSONValue.string)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard let number = number() else { return nil }
            if let int: Int = integerValue(of: number) { return .int(int) }
            if let double = doubleValue(of: number) { return .double(double) }
            return fail(.numberOutOfRange(text(of: number), at: number.start, type: "Int or Double"))
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return bool().map(JSONValue.bool)
        case UInt8(ascii: "n"):
            return null() ? .null : fail(.unexpected(at: position, expected: "null"))
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { return fail(.tooDeep(at: position, limit: Self.maximumDepth)) }
            return list { $0.value(depth: depth + 1) }.map(JSONValue.array)
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { return fail(.tooDeep(at: position, limit: Self.maximumDepth)) }
            return members(depth: depth + 1).map(JSONValue.object)
        default:
            return fail(.unexpected(at: position, expected: "a JSON value"))
        }
    }

    /// Reads an object's members as `[String: JSONValue]`, keeping the first of duplicate keys.
    public mutating func members(depth: Int) -> [String: JSONValue]? {
        var members: [String: JSONValue] = [:]
        let complete = object { reader, key in
            guard let value = reader.value(depth: depth) else { return false }
            if members[key] == nil { members[key] = value }
            return true
        }
        return complete ? members : nil
    }
}
