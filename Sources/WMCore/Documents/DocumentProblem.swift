/// Why a document could not be used.
public struct DocumentProblem: Error, CustomStringConvertible {
    /// The explanation: file, field and what was expected.
    public var description: String
    /// Makes a problem.
    public init(_ description: String) { self.description = description }
}
