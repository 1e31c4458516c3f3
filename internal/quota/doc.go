// Package quota measures clients against their quotas as Kafka does
// (KIP-13, KIP-55, KIP-124, KIP-219), and says how long to throttle them.
//
// A Manager tracks one quota type: produce bytes (producer_byte_rate),
// fetch bytes (consumer_byte_rate) or request-handler time
// (request_percentage). The quota that applies to a request is found from
// its principal's name and its client id by Kafka's precedence over the
// configured entities (Resolve):
//
//  1. user and client-id            5. default user and default client-id
//  2. user and default client-id    6. default user
//  3. user                          7. client-id
//  4. default user and client-id    8. default client-id
//
// and its usage is counted in a sensor shared by every connection with the
// same metric tags: (user, client-id) for the levels naming both, (user, "")
// for the user levels, ("", client-id) for the client-id levels. So a quota
// set on a user is shared by all of its clients, and one set on a default
// applies to each user or client separately.
//
// A sensor is Kafka's sampled rate: quota.window.num windows of
// quota.window.size.seconds each; a value is added to the current window,
// windows older than all of them together are reset, and the rate is the sum
// over the windows divided by the time they cover, counted as at least
// (windows-1) whole windows so that a new sensor does not read as a burst.
// Recording a value that takes the rate over the quota yields a throttle
// time: the time the excess needs to drain at the quota's rate,
// (rate-quota)/quota × the measured time span. The request quota's
// throttle is bounded by one window, as Kafka bounds it.
//
// controller_mutation_rate (KIP-599) is a token bucket instead
// (MutationManager, mutation.go): partitions created, added or deleted
// spend tokens, refilled at the quota's rate up to a burst of the quota
// over all windows.
//
// Managers are safe for concurrent use; time comes in as an argument.
// Sensors unused for an hour are dropped, as Kafka expires them.
package quota
