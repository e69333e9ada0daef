"""In Chromium: the phone layout holds together, focus is always visible, the skip link works,
and the show-password toggle enhances a form that works without it."""

from playwright.sync_api import expect

from browser.steps import focused_id, new_email, sign_in, sign_up

PHONE = {"width": 375, "height": 740}


def boxes_overlap(a, b) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_phone_header_and_sessions_page_fit_the_screen(chromium, stack, page):
    email = new_email("a-rather-long-address-for-a-phone")
    sign_up(page, stack, email)
    other = chromium.new_context()
    sign_in(other.new_page(), stack, email)
    page.set_viewport_size(PHONE)
    page.goto(stack.ui_url + "/sessions")
    brand, who = page.locator("header .brand").bounding_box(), page.locator("header .who").bounding_box()
    assert not boxes_overlap(brand, who)
    assert page.locator("header.site").bounding_box()["height"] < 130  # two lines at most, not three
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    action = page.locator("table.sessions tbody tr:not(.current) summary")
    action.scroll_into_view_if_needed()
    box = action.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    other.close()


def test_focus_is_visible_on_every_kind_of_control(stack, page):
    page.goto(stack.ui_url + "/login")
    for selector in (
        "[data-onclick-trigger]",
        "#group-password button[type=submit]",
        "#group-password input[name=identifier]",
        ".links a",
    ):
        control = page.locator(selector).first
        control.focus()
        style = control.evaluate("el => getComputedStyle(el)")
        width = control.evaluate("el => parseFloat(getComputedStyle(el).outlineWidth)")
        assert style["outlineStyle"] != "none" and width >= 2, selector


def test_the_skip_link_is_the_first_stop_and_jumps_to_the_content(stack, page):
    page.goto(stack.ui_url + "/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focused_id(page) == "main"


def test_show_password_reveals_and_hides_what_was_typed(stack, page):
    page.goto(stack.ui_url + "/registration")
    page.get_by_label("Email", exact=True).fill(new_email("toggle"))
    page.get_by_role("button", name="Sign up", exact=True).click()
    field = page.locator("#group-password").get_by_label("Password", exact=True)
    expect(page.locator("#group-password")).to_contain_text("At least 8 characters")
    field.fill("visible-secret")
    toggle = page.locator("#group-password").get_by_role("button", name="Show password")
    toggle.click()
    expect(field).to_have_attribute("type", "text")
    expect(page.locator("#group-password").get_by_role("button", name="Hide password")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.locator("#group-password").get_by_role("button", name="Hide password").click()
    expect(field).to_have_attribute("type", "password")


def test_backup_codes_download_as_a_file_and_print_alone(stack, page):
    sign_up(page, stack, new_email("codes-file"))
    page.goto(stack.ui_url + "/settings")
    page.get_by_role("button", name="Generate new backup recovery codes").click()
    expect(page.get_by_role("button", name="Confirm backup recovery codes")).to_be_visible()
    codes = [c.strip() for c in page.locator("#group-lookup_secret ul.secrets li").all_inner_texts()]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the codes as a text file").click()
    assert download.value.suggested_filename == "backup-codes.txt"
    saved = open(download.value.path()).read().splitlines()
    assert codes and all(code in saved for code in codes)
    assert not any(code in download.value.url for code in codes)  # never in a URL

    page.emulate_media(media="print")
    expect(page.locator("#group-lookup_secret ul.secrets")).to_be_visible()
    expect(page.locator("#group-password")).to_be_hidden()
    expect(page.locator("header.site")).to_be_hidden()
