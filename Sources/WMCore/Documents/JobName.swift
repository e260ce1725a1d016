/// A job's name as the job creator makes it, `<workflow key>-<subscription>-<number>`: the parts the stages
/// read back out of a name (the number for the job's file bundle and log cluster, the rest for its subscription).
public enum JobName {
    /// The name of job `number` of a subscription.
    public static func make(workflowKey: String, subscription: String, number: Int) -> String {
        subscriptionPrefix(workflowKey: workflowKey, subscription: subscription) + "-" + paddedNumber(number)
    }

    /// A job (or job group) number as names write it: zero-padded to six digits.
    public static func paddedNumber(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// What every job name of a subscription starts with, before its `-<number>`.
    public static func subscriptionPrefix(workflowKey: String, subscription: String) -> String {
        workflowKey + "-" + subscription
    }

    /// The name's last part, after its last `-` (the whole name when it has none): the job's number as written.
    public static func numberText(of name: String) -> Substring {
        guard let dash = name.lastIndex(of: "-") else { return Substring(name) }
        return name[name.index(after: dash)...]
    }

    /// The job's number, nil when the name does not end in one.
    public static func number(of name: String) -> Int? { Int(numberText(of: name)) }

    /// The name without its last `-<part>` (`<workflow key>-<subscription>`), nil when it has no `-`.
    public static func subscriptionPrefix(of name: String) -> Substring? {
        name.lastIndex(of: "-").map { name[..<$0] }
    }
}

/// One attempt of a job, `<job>-<retry>`: the key of a submission, an attempt's accounting record and work folder.
public struct AttemptKey: Hashable, Sendable, CustomStringConvertible {
    /// The job's name.
    public var job: String
    /// The retry count of the attempt (0 for the first).
    public var retry: Int

    /// The attempt `retry` of `job`.
    public init(job: String, retry: Int) {
        self.job = job
        self.retry = retry
    }

    /// Reads `<job>-<retry>` (the retry after the last `-`); nil when the text does not end in `-<number>`.
    public init?(parsing text: some StringProtocol) {
        guard let dash = text.lastIndex(of: "-"), let retry = Int(text[text.index(after: dash)...]) else { return nil }
        self.init(job: String(text[..<dash]), retry: retry)
    }

    /// `<job>-<retry>`.
    public var description: String { "\(job)-\(retry)" }
}
