//! The committed bindings carry no layout tests; instead every bound struct is compared with
//! the size and alignment the C compiler gave it.

use std::mem::{align_of, size_of};

use netcode_sys::*;

fn check<T>(layout: unsafe extern "C" fn(*mut usize, *mut usize), name: &str) {
    let (mut size, mut align) = (0, 0);
    // SAFETY: the function writes two usize values through valid pointers.
    unsafe { layout(&mut size, &mut align) };
    assert_eq!(size_of::<T>(), size, "size of {name}");
    assert_eq!(align_of::<T>(), align, "alignment of {name}");
}

#[test]
fn bound_structs_match_the_c_layout() {
    check::<netcode_sys_address>(netcode_sys_layout_address, "netcode_sys_address");
    check::<netcode_sys_connect_token_private>(
        netcode_sys_layout_connect_token_private,
        "netcode_sys_connect_token_private",
    );
    check::<netcode_sys_connect_token>(
        netcode_sys_layout_connect_token,
        "netcode_sys_connect_token",
    );
    check::<netcode_sys_packet>(netcode_sys_layout_packet, "netcode_sys_packet");
    check::<netcode_sys_server_event>(netcode_sys_layout_server_event, "netcode_sys_server_event");
    check::<netcode_sys_client_event>(netcode_sys_layout_client_event, "netcode_sys_client_event");
    check::<netcode_sys_client_info>(netcode_sys_layout_client_info, "netcode_sys_client_info");
}
