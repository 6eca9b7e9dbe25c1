//! The weekly and monthly assessment reports as Excel workbooks (.xlsx): one worksheet per
//! table of [`ReportData::tables`], a title row, a bold shaded Chinese header row frozen under
//! it, column widths, percentages in `0.00%` format and scores with two decimals.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use crate::AssessmentError;
use crate::report::{Cell, ReportData, Table};

/// Row of the header in every sheet (row 0 holds the title).
pub const HEADER_ROW: u32 = 1;

struct Formats {
    title: Format,
    header: Format,
    text: Format,
    int: Format,
    number: Format,
    percent: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new().set_border(FormatBorder::Thin);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0x00DD_EBF7))
                .set_border(FormatBorder::Thin),
            text: cell.clone(),
            int: cell.clone().set_num_format("0"),
            number: cell.clone().set_num_format("0.00"),
            percent: cell.set_num_format("0.00%"),
        }
    }
}

fn write_table(
    ws: &mut Worksheet,
    title: &str,
    table: &Table,
    f: &Formats,
) -> Result<(), AssessmentError> {
    ws.set_name(&table.name)?;
    ws.write_string_with_format(0, 0, title, &f.title)?;
    for (i, column) in table.columns.iter().enumerate() {
        let c = u16::try_from(i).map_err(|_| AssessmentError::TooLarge)?;
        ws.set_column_width(c, column.width)?;
        ws.write_string_with_format(HEADER_ROW, c, &column.header, &f.header)?;
    }
    ws.set_row_height(HEADER_ROW, 30)?;
    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
    for (r, row) in table.rows.iter().enumerate() {
        let r = u32::try_from(r)
            .ok()
            .and_then(|r| r.checked_add(HEADER_ROW + 1))
            .ok_or(AssessmentError::TooLarge)?;
        for (i, cell) in row.iter().enumerate() {
            let c = u16::try_from(i).map_err(|_| AssessmentError::TooLarge)?;
            match cell {
                Cell::Text(s) => ws.write_string_with_format(r, c, s, &f.text)?,
                Cell::Int(v) => ws.write_number_with_format(r, c, *v as f64, &f.int)?,
                Cell::Number(v) => ws.write_number_with_format(r, c, *v, &f.number)?,
                Cell::Percent(Some(v)) => ws.write_number_with_format(r, c, *v, &f.percent)?,
                Cell::Percent(None) | Cell::Empty => ws.write_blank(r, c, &f.text)?,
            };
        }
    }
    Ok(())
}

/// The workbook of a report: every table of `data` as a sheet.
pub fn report_workbook(data: &ReportData) -> Result<Vec<u8>, AssessmentError> {
    let formats = Formats::new();
    let mut wb = Workbook::new();
    let tables = data.tables();
    if tables.is_empty() {
        let ws = wb.add_worksheet();
        ws.write_string_with_format(0, 0, &data.title, &formats.title)?;
        ws.write_string(HEADER_ROW, 0, "无数据")?;
    }
    for table in &tables {
        let ws = wb.add_worksheet();
        write_table(ws, &data.title, table, &formats)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// The weekly assessment report 周讲评/考核周报 (rankings, red/black flags, daily series).
pub fn weekly_report(data: &ReportData) -> Result<Vec<u8>, AssessmentError> {
    report_workbook(data)
}

/// The monthly assessment report 考核月报.
pub fn monthly_report(data: &ReportData) -> Result<Vec<u8>, AssessmentError> {
    report_workbook(data)
}
