import CLibwebsockets

/// Holds the service loop for the C callback. Its address is the context user pointer.
/// Invariant: the service thread keeps this box alive until after `lws_context_destroy` returned, so the unretained
/// pointer lws hands back is always valid; the loop inside may only be reached on the service thread.
final class ServiceLoopBox {
    let loop: ServiceThreadBound<ServiceLoop>
    init(_ loop: ServiceLoop) { self.loop = ServiceThreadBound(loop) }
}

/// The single lws callback for every protocol. A plain top-level function, so Swift 6 accepts it as a C function
/// pointer (a global closure constant would be a non-Sendable global).
func lwsServiceCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let box = lws_context_user(context) else { return 0 }
    let loop = Unmanaged<ServiceLoopBox>.fromOpaque(box).takeUnretainedValue().loop.value
    return loop.handle(wsi, reason, input, length)
}
