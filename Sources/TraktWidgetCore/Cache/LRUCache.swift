/// A small least-recently-used map. Lookups and inserts are O(capacity), which for a few dozen
/// entries is cheaper than keeping a linked list in step.
public struct LRUCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let capacity: Int
    private var values: [Key: Value] = [:]
    /// Least recently used first.
    private var order: [Key] = []

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var keys: [Key] { order }

    public mutating func value(for key: Key) -> Value? {
        guard let value = values[key] else { return nil }
        touch(key)
        return value
    }

    public mutating func set(_ value: Value, for key: Key) {
        if values.updateValue(value, forKey: key) != nil {
            touch(key)
            return
        }
        order.append(key)
        if order.count > capacity {
            values[order.removeFirst()] = nil
        }
    }

    private mutating func touch(_ key: Key) {
        if let index = order.firstIndex(of: key), index != order.count - 1 {
            order.remove(at: index)
            order.append(key)
        }
    }
}
