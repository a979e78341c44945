//! Plain netlink requests with the flags `ip` and `bridge` use, for the
//! messages rtnetlink's builders do not send as needed (an fdb append, a
//! rule or neighbour with exact flags), and dumps of any table.

use futures::StreamExt;
use rtnetlink::Handle;
use rtnetlink::packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
use rtnetlink::packet_route::RouteNetlinkMessage;

/// Sends `message` with `flags` (plus request and ack) and waits for the answer.
pub async fn ack(handle: &Handle, message: RouteNetlinkMessage, flags: u16) -> Result<(), rtnetlink::Error> {
    let mut handle = handle.clone();
    let mut request = NetlinkMessage::from(message);
    request.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    let mut response = handle.request(request)?;
    while let Some(reply) = response.next().await {
        if let NetlinkPayload::Error(err) = reply.payload {
            return Err(rtnetlink::Error::NetlinkError(err));
        }
    }
    Ok(())
}

/// Dumps what `message` asks for, every answer's payload.
pub async fn dump(
    handle: &Handle,
    message: RouteNetlinkMessage,
) -> Result<Vec<RouteNetlinkMessage>, rtnetlink::Error> {
    let mut handle = handle.clone();
    let mut request = NetlinkMessage::from(message);
    request.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let mut response = handle.request(request)?;
    let mut found = Vec::new();
    while let Some(reply) = response.next().await {
        match reply.payload {
            NetlinkPayload::InnerMessage(inner) => found.push(inner),
            NetlinkPayload::Error(err) => return Err(rtnetlink::Error::NetlinkError(err)),
            _ => {}
        }
    }
    Ok(found)
}
