import Foundation
import WMCore

/// How the documents of one body type are turned into bytes and back: `DocumentArea` asks its body's codec
/// and knows no body type by name.
public protocol DocumentCodec<Body> {
    /// The body of the documents this codec reads and writes.
    associatedtype Body: DocumentBody

    /// Decodes a document whose `schema` field must be `schema`; failures name `file`, the field and what was expected.
    static func decode(_ bytes: [UInt8], schema: Int, file: String) -> Result<Annotated<Body>, DocumentProblem>

    /// Encodes a document (sorted keys, one trailing newline).
    static func encode(_ doc: Annotated<Body>) throws -> [UInt8]
}

/// A body kept in a `DocumentArea`: a state-table body with the codec of its documents (`JSONDocumentCodec`
/// unless it names another).
public protocol SpoolDocumentBody: StatefulBody {
    /// The codec of documents of this body.
    associatedtype Codec: DocumentCodec<Self> = JSONDocumentCodec<Self>
}

/// The default codec: `JSONDecoder`, with the schema checked first and failures explained by file and field,
/// and `JSONEncoder` with sorted keys.
public enum JSONDocumentCodec<Body: DocumentBody>: DocumentCodec {
    /// Decodes with `JSONDecoder` in one parse: the schema is checked first, the body decoded only when it matches.
    public static func decode(_ bytes: [UInt8], schema: Int, file: String) -> Result<Annotated<Body>, DocumentProblem> {
        if bytes.isEmpty { return .failure(DocumentProblem("\(file): the file is empty; expected a JSON document")) }
        do {
            let decoder = JSONDecoder()
            decoder.userInfo[SchemaChecked<Body>.expectedSchema] = schema
            switch try decoder.decode(SchemaChecked<Body>.self, from: Data(bytes)).outcome {
            case .document(let doc): return .success(doc)
            case .wrongSchema(let found):
                return .failure(DocumentProblem("\(file): field 'schema' is \(found.map(String.init) ?? "missing"), expected \(schema)"))
            }
        } catch {
            return .failure(DocumentProblem(describeDecodingError(error, file: file)))
        }
    }

    /// Encodes with `JSONEncoder` (sorted keys, so files diff well).
    public static func encode(_ doc: Annotated<Body>) throws -> [UInt8] { try encodeDocument(doc) }
}

/// Job documents, read and written on every move of every job: `JobDocumentReader` first, with
/// `JSONDocumentCodec` for whatever it does not read with certainty (and for its explanations), and
/// `JobDocumentWriter`, which makes the bytes `JSONDocumentCodec` would.
public enum JobDocumentCodec: DocumentCodec {
    /// Decodes with `JobDocumentReader`, falling back to `JSONDocumentCodec`.
    public static func decode(_ bytes: [UInt8], schema: Int, file: String) -> Result<Annotated<JobBody>, DocumentProblem> {
        if let doc = JobDocumentReader.read(bytes, schema: schema) { return .success(doc) }
        return JSONDocumentCodec<JobBody>.decode(bytes, schema: schema, file: file)
    }

    /// Encodes with `JobDocumentWriter`.
    public static func encode(_ doc: Annotated<JobBody>) throws -> [UInt8] { try JobDocumentWriter.bytes(doc) }
}

extension JobBody: SpoolDocumentBody {
    /// Job documents have their own reader and writer.
    public typealias Codec = JobDocumentCodec
}
extension RequestBody: SpoolDocumentBody {}
extension ElementBody: SpoolDocumentBody {}
extension BlockBody: SpoolDocumentBody {}

/// A document decoded only when its `schema` field is the version the decoder's `userInfo` expects.
private struct SchemaChecked<Body: DocumentBody>: Decodable {
    static var expectedSchema: CodingUserInfoKey { CodingUserInfoKey(rawValue: "wmspool.expectedSchema")! }

    enum Outcome {
        case document(Annotated<Body>)
        case wrongSchema(found: Int?)
    }
    let outcome: Outcome

    init(from decoder: Decoder) throws {
        let schema = try decoder.container(keyedBy: AnyCodingKey.self).decodeIfPresent(Int.self, forKey: AnyCodingKey("schema"))
        guard let schema, schema == decoder.userInfo[Self.expectedSchema] as? Int else {
            outcome = .wrongSchema(found: schema)
            return
        }
        outcome = .document(try Annotated<Body>(from: decoder))
    }
}
