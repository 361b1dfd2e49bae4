"""Admins add merchants; a merchant's staff draft deals and put them on sale; anyone browses them."""

from __future__ import annotations

from services.order.tests.integration.support import (
    admin,
    assert_problem,
    customer,
    deal_body,
    headers,
    new_deal,
    new_merchant,
    staff,
)


async def test_an_admin_adds_a_merchant_that_anyone_can_read(client):
    response = await client.post(
        "/merchants",
        json={"name": "Hotpot", "address": "1 Nanjing Rd", "timezone": "Asia/Shanghai", "contact": "+86 21 6123 4567"},
        headers=headers(admin()),
    )
    assert response.status_code == 201, response.text
    merchant = response.json()
    assert (merchant["timezone"], merchant["contact"]) == ("Asia/Shanghai", "+862161234567")
    read = await client.get(f"/merchants/{merchant['merchant_id']}", headers=headers(None))
    assert read.json() == merchant
    listed = await client.get("/merchants", params={"limit": 100}, headers=headers(customer()))
    assert listed.status_code == 200
    assert_problem(await client.get("/merchants/no-such-merchant", headers=headers(None)), 404, "merchant-not-found")


async def test_only_admins_add_merchants(client):
    body = {"name": "Hotpot", "address": "1 Nanjing Rd", "timezone": "Asia/Shanghai", "contact": "a@b.cn"}
    for caller in (customer(), staff("m1"), None):
        assert_problem(await client.post("/merchants", json=body, headers=headers(caller)), 403, "forbidden")


async def test_a_deal_starts_as_a_draft_and_goes_on_sale_then_ends(client):
    merchant = await new_merchant(client)
    manager = staff(merchant["merchant_id"])
    draft = await new_deal(client, merchant["merchant_id"], on_sale=False, stock=None)
    assert (draft["status"], draft["stock"], draft["sold"]) == ("draft", None, 0)

    edited = await client.patch(f"/deals/{draft['deal_id']}", json={"title": "Hotpot for four"}, headers=headers(manager))
    assert edited.json()["title"] == "Hotpot for four"
    on_sale = await client.patch(f"/deals/{draft['deal_id']}", json={"status": "on_sale"}, headers=headers(manager))
    assert on_sale.json()["status"] == "on_sale"
    assert_problem(
        await client.patch(f"/deals/{draft['deal_id']}", json={"title": "Cheaper"}, headers=headers(manager)),
        409, "deal-not-editable",
    )
    ended = await client.patch(f"/deals/{draft['deal_id']}", json={"status": "ended"}, headers=headers(admin()))
    assert ended.json()["status"] == "ended"
    assert_problem(
        await client.patch(f"/deals/{draft['deal_id']}", json={"status": "on_sale"}, headers=headers(manager)),
        409, "invalid-status-change",
    )


async def test_anyone_lists_deals_on_sale_with_their_merchant_but_only_managers_see_drafts(client):
    merchant = await new_merchant(client)
    on_sale = await new_deal(client, merchant["merchant_id"])
    draft = await new_deal(client, merchant["merchant_id"], on_sale=False)

    public = await client.get("/deals", params={"merchant_id": merchant["merchant_id"]}, headers=headers(None))
    assert [d["deal_id"] for d in public.json()["items"]] == [on_sale["deal_id"]]
    assert public.json()["items"][0]["merchant"]["name"] == merchant["name"]

    mine = await client.get("/deals", params={"status": "draft"}, headers=headers(staff(merchant["merchant_id"])))
    assert [d["deal_id"] for d in mine.json()["items"]] == [draft["deal_id"]]
    for stranger in (customer(), staff("another-merchant"), None):
        response = await client.get(
            "/deals", params={"status": "draft", "merchant_id": merchant["merchant_id"]}, headers=headers(stranger)
        )
        assert_problem(response, 403, "forbidden")


async def test_a_deal_for_an_unknown_merchant_is_refused(client):
    assert_problem(
        await client.post("/merchants/no-such-merchant/deals", json=deal_body(), headers=headers(admin())),
        404, "merchant-not-found",
    )
